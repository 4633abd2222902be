package dev.braid.gpu.engine;

/** Why an inference request was answered with an error instead of outputs. */
public enum InferError {
  /** No model of that name is loaded (or it is still loading). */
  UNKNOWN_MODEL,
  /** The inputs do not match the model: names, dtypes, shapes, batch rows or priority level. */
  INVALID_INPUT,
  /**
   * Its deadline passed before it could run (while queued, or before its next kernel started), or
   * its remaining kernels, by the cost model, could no longer finish by it even with the device to
   * themselves, so none of them was launched.
   */
  TOO_LATE,
  /** The model was unloaded (or the engine closed) before the request completed. */
  UNLOADED,
  /** The GPU is draining and takes no new work. */
  DRAINING,
  /** The device could not allocate the request's memory. */
  OUT_OF_MEMORY,
  /** A kernel, transfer or launch failed on the device. */
  DEVICE_FAILED,
  /**
   * The device lost its context after an earlier failure ({@code Device.healthy()} is false): the
   * request was queued or running then, or arrived later; the message names the device and the
   * failure (the kernel and the CUDA code for a GPU).
   */
  DEVICE_UNHEALTHY,
  /** The request was withdrawn. */
  CANCELLED,
  /**
   * An unexpected error (a fault of Braid, not a report of the device) failed the request: its
   * batch's start or admission threw, or the GPU actor failed while holding it and was restarted;
   * the message names the model and the exception.
   */
  INTERNAL
}
