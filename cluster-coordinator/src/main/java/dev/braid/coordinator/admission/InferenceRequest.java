package dev.braid.coordinator.admission;

import java.util.Objects;

/**
 * What admission needs to know of a request.
 *
 * @param model the model asked for
 * @param tenant who pays for it (the request parameter {@code tenant}; {@code ""} if absent)
 * @param deadlineNanos the latest acceptable finish on the frontend's {@code NanoClock}: the
 *     earlier of the request's {@code deadline} parameter and the gRPC call's deadline, or the
 *     model's SLO from arrival when it has neither
 */
public record InferenceRequest(String model, String tenant, long deadlineNanos) {
  public InferenceRequest {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(tenant, "tenant");
  }
}
