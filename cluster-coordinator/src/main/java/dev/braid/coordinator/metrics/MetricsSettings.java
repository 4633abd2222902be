package dev.braid.coordinator.metrics;

import com.typesafe.config.Config;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;

/**
 * Where a node serves its Prometheus metrics: {@code braid.frontend.metrics-port} (defaults and
 * a comment in this module's {@code reference.conf}; {@code --metrics-port} of {@code braid serve}
 * overrides it).
 *
 * @param port 1..65535 to serve {@code GET /metrics} there; 0 for any free port (tests, several
 *     nodes on one host); {@link #OFF} (-1) for no endpoint and no recording at all (every hook
 *     returns at once)
 * @param host the interface the endpoint binds ({@code braid.frontend.host})
 */
public record MetricsSettings(int port, String host) {
  /** The HOCON key of the port. */
  public static final String PORT_KEY = "braid.frontend.metrics-port";
  /** The port value that turns metrics off. */
  public static final int OFF = -1;

  public MetricsSettings {
    if (port < OFF || port > 65535) {
      throw SettingsException.invalid(PORT_KEY, "a port in 0..65535 (0 for any free port) or -1 for off", port);
    }
    if (host == null || host.isBlank()) {
      throw SettingsException.invalid("braid.frontend.host", "an interface address such as 0.0.0.0", host);
    }
  }

  /** Reads the port and host from {@code config} (which must include the reference defaults). */
  public static MetricsSettings from(Config config) {
    return new MetricsSettings(ConfigValues.intAtLeast(config, PORT_KEY, OFF),
        ConfigValues.string(config, "braid.frontend.host"));
  }

  /** Whether the node records and serves metrics. */
  public boolean enabled() {
    return port != OFF;
  }
}
