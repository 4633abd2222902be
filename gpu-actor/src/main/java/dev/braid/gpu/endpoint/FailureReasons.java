package dev.braid.gpu.endpoint;

import dev.braid.gpu.engine.InferError;
import dev.braid.protocol.cluster.InferenceWire.FailureReason;

/**
 * How an engine's {@link InferError} reads on the wire. The rule: what the client got wrong is
 * MODEL_NOT_FOUND or INVALID_INPUT; what another GPU could still serve is UNAVAILABLE (the frontend
 * retries it elsewhere) or OVERLOADED; a deadline spent is DEADLINE_EXCEEDED; a device that failed
 * a request while staying healthy is INTERNAL.
 */
public final class FailureReasons {
  private FailureReasons() {}

  public static FailureReason of(InferError error) {
    return switch (error) {
      case UNKNOWN_MODEL -> FailureReason.MODEL_NOT_FOUND;
      case INVALID_INPUT -> FailureReason.INVALID_INPUT;
      case TOO_LATE -> FailureReason.DEADLINE_EXCEEDED;
      // The model or the GPU went away under the request, or never took it: another replica can.
      case UNLOADED, DRAINING, DEVICE_UNHEALTHY -> FailureReason.UNAVAILABLE;
      // Device memory is full now; the request itself is fine.
      case OUT_OF_MEMORY -> FailureReason.OVERLOADED;
      case DEVICE_FAILED, INTERNAL -> FailureReason.INTERNAL;
      // Withdrawn by someone other than the client, who may still want an answer: try elsewhere.
      case CANCELLED -> FailureReason.UNAVAILABLE;
    };
  }
}
