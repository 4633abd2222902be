package dev.braid.protocol.cluster;

import io.grpc.Status;

/**
 * Why a request was answered with an error instead of outputs: the one vocabulary of a request's
 * failure, from the frontend's admission to the device. The scheduler, the engine and the GPU
 * actor fail requests with it, it crosses the wire in {@link InferenceWire.Failed}, admission
 * refuses with it, and the front door answers the gRPC status it carries ({@link #code()}, the one
 * table from reason to status; the metrics label failures by that status).
 *
 * <p>The rule behind the table: what the client got wrong is NOT_FOUND or INVALID_ARGUMENT; what
 * another GPU could still serve is UNAVAILABLE (a frontend retries such a GPU failure once on
 * another replica: {@link #retriesElsewhere()}) or RESOURCE_EXHAUSTED; a deadline spent or out of
 * reach is DEADLINE_EXCEEDED; a device that failed a request while staying healthy, or a fault of
 * Braid, is INTERNAL. Device errors ({@code DeviceException.Reason}) are mapped into it once, in
 * the engine.
 */
public enum FailureReason {
  // --- Admission, at the frontend or at the GPU
  /** No model of that name is loaded (or it is still loading). */
  UNKNOWN_MODEL(Status.Code.NOT_FOUND),
  /** The inputs do not match the model: names, dtypes, shapes, batch rows or priority level. */
  INVALID_INPUT(Status.Code.INVALID_ARGUMENT),
  /** The frontend has no routing table yet, or the model has no replica (not placed, or its only one failed). */
  NO_REPLICA(Status.Code.UNAVAILABLE),
  /** The tenant's token bucket is empty. */
  OVER_QUOTA(Status.Code.RESOURCE_EXHAUSTED),
  /** Every replica's predicted queue is past the frontend's maximum queue delay. */
  OVERLOADED(Status.Code.RESOURCE_EXHAUSTED),
  /** No replica's predicted finish meets the deadline. */
  DEADLINE_UNREACHABLE(Status.Code.DEADLINE_EXCEEDED),
  /** A retry after a replica failed cannot make the deadline elsewhere, or has nowhere to go. */
  RETRY_IMPOSSIBLE(Status.Code.UNAVAILABLE),

  // --- Queue and planning, at the GPU
  /**
   * Its deadline passed before it could run (while queued, or before its next kernel started), or
   * its remaining kernels, by the cost model, could no longer finish by it even with the device to
   * themselves, so none of them was launched.
   */
  TOO_LATE(Status.Code.DEADLINE_EXCEEDED),
  /** The GPU is draining and takes no new work. */
  DRAINING(Status.Code.UNAVAILABLE),
  /** The model was unloaded (or the engine closed) before the request completed. */
  UNLOADED(Status.Code.UNAVAILABLE),
  /** The request was withdrawn by someone other than the client, who may still want an answer. */
  CANCELLED(Status.Code.UNAVAILABLE),
  /** The GPU's device did not open, or its actor stopped while holding the request. */
  GPU_UNAVAILABLE(Status.Code.UNAVAILABLE),

  // --- Launch and run, on the device
  /** The device could not allocate the request's memory (it is full now; the request is fine). */
  OUT_OF_MEMORY(Status.Code.RESOURCE_EXHAUSTED),
  /** A kernel, transfer or launch failed on the device, which stays healthy. */
  DEVICE_FAILED(Status.Code.INTERNAL),
  /**
   * The device lost its context after an earlier failure: the request was queued or running then,
   * or arrived later; the message names the device and the failure (the kernel and the CUDA code
   * for a GPU).
   */
  DEVICE_UNHEALTHY(Status.Code.UNAVAILABLE),
  /**
   * An unexpected error (a fault of Braid, not a report of the device) failed the request: its
   * batch's start or admission threw, or the GPU actor failed while holding it and was restarted;
   * the message names the model and the exception.
   */
  INTERNAL(Status.Code.INTERNAL);

  private final Status.Code code;

  FailureReason(Status.Code code) {
    this.code = code;
  }

  /** The gRPC status code the front door answers for it. */
  public Status.Code code() {
    return code;
  }

  /** The gRPC status for it, with {@code message} as its description. */
  public Status status(String message) {
    return Status.fromCode(code).withDescription(message);
  }

  /**
   * Whether a frontend that got this failure from a GPU sends the request once more to another
   * replica: the model or the GPU went away under the request, or never took it, so another
   * replica can (every reason answered UNAVAILABLE).
   */
  public boolean retriesElsewhere() {
    return code == Status.Code.UNAVAILABLE;
  }
}
