package dev.braid.coordinator.admission;

/**
 * A tenant's token bucket: {@code requestsPerSecond} tokens flow in, up to {@code burst}.
 *
 * @param requestsPerSecond sustained rate, > 0
 * @param burst requests admitted back to back from a full bucket, >= 1
 */
public record TenantQuota(double requestsPerSecond, double burst) {
  public TenantQuota {
    if (!(requestsPerSecond > 0) || Double.isInfinite(requestsPerSecond)) {
      throw new IllegalArgumentException("requests-per-second must be finite and > 0, got " + requestsPerSecond);
    }
    if (!(burst >= 1) || Double.isInfinite(burst)) {
      throw new IllegalArgumentException("burst must be finite and >= 1, got " + burst);
    }
  }
}
