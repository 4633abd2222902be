package dev.braid.coordinator.admission;

/**
 * The gRPC status a refusal maps to; names match {@code io.grpc.Status.Code} so the gRPC adapter
 * converts with {@code Status.Code.valueOf(code.name())}, and this package needs no gRPC.
 */
public enum StatusCode {
  NOT_FOUND,
  RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED,
  UNAVAILABLE
}
