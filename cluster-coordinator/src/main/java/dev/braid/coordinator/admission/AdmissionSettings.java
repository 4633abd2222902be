package dev.braid.coordinator.admission;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The knobs of {@link Admission}.
 *
 * @param maxQueueDelay a replica whose predicted queue is longer than this is overloaded; when
 *     every replica of a model is, requests are refused RESOURCE_EXHAUSTED even if their deadline
 *     is far, so that queues (and memory) stay bounded
 * @param defaultQuota the quota of a tenant not named in {@code tenants}; empty: unlimited
 * @param tenants per-tenant quotas
 */
public record AdmissionSettings(Duration maxQueueDelay, Optional<TenantQuota> defaultQuota, Map<String, TenantQuota> tenants) {
  /**
   * One second of queued device time: ten times a typical 100 ms SLO, so only a backlog no
   * deadline could use is refused as overload; no quotas.
   */
  public static final AdmissionSettings DEFAULTS = new AdmissionSettings(Duration.ofSeconds(1), Optional.empty(), Map.of());

  public AdmissionSettings {
    Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
    Objects.requireNonNull(defaultQuota, "defaultQuota");
    if (maxQueueDelay.isNegative() || maxQueueDelay.isZero()) {
      throw new IllegalArgumentException("admission.max-queue-delay must be > 0, got " + maxQueueDelay);
    }
    tenants = Map.copyOf(tenants);
  }

  /** The quota of {@code tenant}; empty when it is unlimited. */
  public Optional<TenantQuota> quotaOf(String tenant) {
    return Optional.ofNullable(tenants.get(tenant)).or(() -> defaultQuota);
  }
}
