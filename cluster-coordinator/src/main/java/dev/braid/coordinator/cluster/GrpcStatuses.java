package dev.braid.coordinator.cluster;

import dev.braid.coordinator.admission.Decision;
import dev.braid.protocol.cluster.InferenceWire;
import io.grpc.Status;

/** The gRPC status a frontend's caller gets for an admission refusal or a GPU's failure. */
final class GrpcStatuses {
  private GrpcStatuses() {}

  /** Admission's refusal, with its message. */
  static Status of(Decision.Refused refused) {
    return Status.fromCode(Status.Code.valueOf(refused.status().name())).withDescription(refused.message());
  }

  /** The status for a GPU's failure reason (the message is the caller's to add). */
  static Status of(InferenceWire.FailureReason reason) {
    return switch (reason) {
      case MODEL_NOT_FOUND -> Status.NOT_FOUND;
      case INVALID_INPUT -> Status.INVALID_ARGUMENT;
      case OVERLOADED -> Status.RESOURCE_EXHAUSTED;
      case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
      case UNAVAILABLE -> Status.UNAVAILABLE;
      case INTERNAL -> Status.INTERNAL;
    };
  }
}
