package dev.braid.coordinator.frontend;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import dev.braid.coordinator.frontend.limits.InputLimits;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the front door, from the {@code braid.frontend} block (defaults and a comment per
 * key in this module's {@code reference.conf}). Every check names the key and the bad value.
 *
 * @param host the interface the gRPC and HTTP servers bind
 * @param grpcPort the Open Inference Protocol's port, 0 for any free one
 * @param httpPort the health endpoint's port, 0 for any free one
 * @param maxInboundMessageBytes the largest request accepted; larger ones get RESOURCE_EXHAUSTED
 * @param defaultTimeout the budget of a request that names no deadline, > 0
 * @param replyGrace how long past a request's budget the front door still waits for the actor
 * @param loadTimeout how long one model load or unload may take, > 0
 * @param limits the bounds on requests and connections ({@code braid.frontend.limits})
 */
public record FrontendSettings(
    String host,
    int grpcPort,
    int httpPort,
    int maxInboundMessageBytes,
    Duration defaultTimeout,
    Duration replyGrace,
    Duration loadTimeout,
    InputLimits limits) {

  /** The HOCON path of this block. */
  public static final String PATH = "braid.frontend";

  public FrontendSettings {
    Objects.requireNonNull(host, "host");
    checkPort(PATH + ".grpc-port", grpcPort);
    checkPort(PATH + ".http-port", httpPort);
    if (maxInboundMessageBytes < 1024) {
      throw SettingsException.invalid(PATH + ".max-inbound-message-bytes", "a size of at least 1 KiB",
          maxInboundMessageBytes);
    }
    requirePositive(PATH + ".default-timeout", defaultTimeout);
    Objects.requireNonNull(replyGrace, "replyGrace");
    ConfigValues.requireNonNegative(PATH + ".reply-grace", replyGrace);
    requirePositive(PATH + ".load-timeout", loadTimeout);
    Objects.requireNonNull(limits, "limits");
  }

  /** Reads the block from {@code config} (which must include the reference defaults). */
  public static FrontendSettings from(Config config) {
    return new FrontendSettings(
        ConfigValues.string(config, PATH + ".host"),
        ConfigValues.intAtLeast(config, PATH + ".grpc-port", 0),
        ConfigValues.intAtLeast(config, PATH + ".http-port", 0),
        bytes(config, PATH + ".max-inbound-message-bytes"),
        ConfigValues.nonNegativeDuration(config, PATH + ".default-timeout"),
        ConfigValues.nonNegativeDuration(config, PATH + ".reply-grace"),
        ConfigValues.nonNegativeDuration(config, PATH + ".load-timeout"),
        InputLimits.from(config));
  }

  /** The settings from {@code application.conf}, system properties and the defaults. */
  public static FrontendSettings load() {
    return from(ConfigFactory.load());
  }

  /** A copy on other ports (the command-line flags; 0 for any free port). */
  public FrontendSettings withPorts(int newGrpcPort, int newHttpPort) {
    return new FrontendSettings(host, newGrpcPort, newHttpPort, maxInboundMessageBytes, defaultTimeout, replyGrace,
        loadTimeout, limits);
  }

  /** A copy with another message size limit. */
  public FrontendSettings withMaxInboundMessageBytes(int bytes) {
    return new FrontendSettings(host, grpcPort, httpPort, bytes, defaultTimeout, replyGrace, loadTimeout, limits);
  }

  /** A copy with other request and connection bounds. */
  public FrontendSettings withLimits(InputLimits newLimits) {
    return new FrontendSettings(host, grpcPort, httpPort, maxInboundMessageBytes, defaultTimeout, replyGrace,
        loadTimeout, newLimits);
  }

  private static void checkPort(String key, int port) {
    if (port < 0 || port > 65535) {
      throw SettingsException.invalid(key, "a port in 0..65535 (0 for any free port)", port);
    }
  }

  private static void requirePositive(String key, Duration d) {
    ConfigValues.requirePositive(key, Objects.requireNonNull(d, key));
  }

  private static int bytes(Config config, String key) {
    long v;
    try {
      v = config.getBytes(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + ": required setting is missing (expected a size such as '64 MiB')", e);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw SettingsException.invalid(key, "a size such as '64 MiB'", config.getValue(key).unwrapped());
    }
    if (v < 1024 || v > Integer.MAX_VALUE) {
      throw SettingsException.invalid(key, "a size between 1 KiB and 2 GiB", v);
    }
    return (int) v;
  }
}
