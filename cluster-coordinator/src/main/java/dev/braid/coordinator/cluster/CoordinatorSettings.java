package dev.braid.coordinator.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import dev.braid.coordinator.placement.PlacementSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the coordinator, from the {@code braid.coordinator} block (defaults with a comment
 * per key in this module's {@code reference.conf}).
 *
 * @param reportInterval how often the coordinator asks every GPU for its report and republishes
 *     the routing table with the new load figures, > 0
 * @param askTimeout how long a GPU may take to answer a report, policy or unload request, > 0
 * @param loadTimeout how long one model load on one GPU may take, > 0
 * @param defaultSlo the latency objective placement assumes for a model, > 0
 * @param defaultRequestTime the device time of one request assumed for a model no GPU has
 *     measured yet, > 0
 * @param rateHalfLife how quickly a model's estimated arrival rate follows a change, > 0
 * @param placement the placement knobs
 */
public record CoordinatorSettings(
    Duration reportInterval,
    Duration askTimeout,
    Duration loadTimeout,
    Duration defaultSlo,
    Duration defaultRequestTime,
    Duration rateHalfLife,
    PlacementSettings placement) {

  public static final String PATH = "braid.coordinator";

  public CoordinatorSettings {
    positive("report-interval", reportInterval);
    positive("ask-timeout", askTimeout);
    positive("load-timeout", loadTimeout);
    positive("default-slo", defaultSlo);
    positive("default-request-time", defaultRequestTime);
    positive("rate-half-life", rateHalfLife);
    Objects.requireNonNull(placement, "placement");
  }

  public static CoordinatorSettings from(Config config) {
    String p = PATH + ".placement";
    PlacementSettings placement;
    try {
      placement = new PlacementSettings(config.getBytes(p + ".reserve-per-gpu"),
          config.getDouble(p + ".target-utilisation"), config.getDouble(p + ".rebalance-threshold"),
          ConfigValues.intAtLeast(config, p + ".max-moves-per-plan", 0));
    } catch (ConfigException e) {
      throw new SettingsException(p + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new SettingsException(PATH + "." + e.getMessage(), e);
    }
    return new CoordinatorSettings(
        ConfigValues.nonNegativeDuration(config, PATH + ".report-interval"),
        ConfigValues.nonNegativeDuration(config, PATH + ".ask-timeout"),
        ConfigValues.nonNegativeDuration(config, PATH + ".load-timeout"),
        ConfigValues.nonNegativeDuration(config, PATH + ".default-slo"),
        ConfigValues.nonNegativeDuration(config, PATH + ".default-request-time"),
        ConfigValues.nonNegativeDuration(config, PATH + ".rate-half-life"),
        placement);
  }

  private static void positive(String key, Duration d) {
    ConfigValues.requirePositive(PATH + "." + key, Objects.requireNonNull(d, key));
  }
}
