package dev.braid.coordinator.admission;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import java.time.Duration;
import java.util.HashMap;
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

  /** The HOCON path of this block. */
  public static final String PATH = "braid.frontend.admission";

  /**
   * Reads {@code braid.frontend.admission}: {@code max-queue-delay}, {@code default-quota} and
   * {@code tenants.<name>}, each quota a {@code requests-per-second} (0: unlimited) and a {@code
   * burst}. Errors name the key, the expected and the received value.
   */
  public static AdmissionSettings from(Config config) {
    Duration maxQueueDelay = ConfigValues.positiveDuration(config, PATH + ".max-queue-delay");
    Optional<TenantQuota> defaultQuota = quota(config, PATH + ".default-quota");
    Map<String, TenantQuota> tenants = new HashMap<>();
    if (config.hasPath(PATH + ".tenants")) {
      for (String tenant : config.getConfig(PATH + ".tenants").root().keySet()) {
        String key = PATH + ".tenants." + com.typesafe.config.ConfigUtil.joinPath(tenant);
        tenants.put(tenant, quota(config, key).orElse(null));
      }
    }
    tenants.values().removeIf(Objects::isNull);
    return new AdmissionSettings(maxQueueDelay, defaultQuota, tenants);
  }

  private static Optional<TenantQuota> quota(Config config, String key) {
    if (!config.hasPath(key)) {
      return Optional.empty();
    }
    double rate;
    double burst;
    try {
      rate = config.getDouble(key + ".requests-per-second");
      burst = config.hasPath(key + ".burst") ? config.getDouble(key + ".burst") : Math.max(1, rate);
    } catch (ConfigException e) {
      throw new SettingsException(key + ": expected { requests-per-second = N, burst = M }: " + e.getMessage(), e);
    }
    if (rate == 0) {
      return Optional.empty(); // unlimited
    }
    try {
      return Optional.of(new TenantQuota(rate, burst));
    } catch (IllegalArgumentException e) {
      throw new SettingsException(key + "." + e.getMessage(), e);
    }
  }
}
