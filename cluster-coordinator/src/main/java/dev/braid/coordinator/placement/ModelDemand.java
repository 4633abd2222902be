package dev.braid.coordinator.placement;

import java.time.Duration;
import java.util.Objects;

/**
 * What placing one model costs: its memory and the device time its traffic needs.
 *
 * <p>{@link #utilisation()} is the fraction of one GPU the model's expected load keeps busy,
 * {@code requestsPerSecond * deviceNanosPerRequest / 1e9}; at batch 1 this is an upper bound,
 * since batching and super-kernels only lower the time per request.
 *
 * @param model the model's name in the repository
 * @param weightsBytes device memory its weights occupy on every GPU that hosts a replica, >= 0
 * @param requestsPerSecond expected arrival rate, >= 0 (0 while unknown)
 * @param deviceNanosPerRequest predicted device time of one request at batch 1, > 0
 * @param slo the latency objective of one request, > 0
 * @param fusion which super-kernels its ops can join
 */
public record ModelDemand(
    String model,
    long weightsBytes,
    double requestsPerSecond,
    long deviceNanosPerRequest,
    Duration slo,
    FusionProfile fusion) {
  public ModelDemand {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(slo, "slo");
    Objects.requireNonNull(fusion, "fusion");
    if (weightsBytes < 0) {
      throw new IllegalArgumentException("weightsBytes of model '" + model + "' must be >= 0, got " + weightsBytes);
    }
    if (!(requestsPerSecond >= 0) || Double.isInfinite(requestsPerSecond)) {
      throw new IllegalArgumentException(
          "requestsPerSecond of model '" + model + "' must be finite and >= 0, got " + requestsPerSecond);
    }
    if (deviceNanosPerRequest <= 0) {
      throw new IllegalArgumentException(
          "deviceNanosPerRequest of model '" + model + "' must be > 0, got " + deviceNanosPerRequest);
    }
    if (slo.isZero() || slo.isNegative()) {
      throw new IllegalArgumentException("slo of model '" + model + "' must be > 0, got " + slo);
    }
  }

  /** Fraction of one GPU this model's expected load keeps busy (may exceed 1). */
  public double utilisation() {
    return requestsPerSecond * deviceNanosPerRequest / 1e9;
  }
}
