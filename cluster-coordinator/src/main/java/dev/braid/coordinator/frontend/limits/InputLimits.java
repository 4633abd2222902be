package dev.braid.coordinator.frontend.limits;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import java.time.Duration;
import java.util.Objects;

/**
 * Bounds on what one client may send the front door (issue 15, hostile input), from the
 * {@code braid.frontend.limits} block of this module's {@code reference.conf}. The request bounds
 * are checked by {@link RequestLimits} before any tensor is allocated; the connection bounds are
 * grpc-java's server settings ({@link dev.braid.coordinator.frontend.FrontDoorServer}).
 *
 * @param maxTensors inputs (and, separately, requested outputs) of one request
 * @param maxRank dimensions of one input's shape
 * @param maxDimension the size of any one dimension
 * @param maxElements the product of an input's dimensions (elements of one tensor)
 * @param maxBytesElement the length of one BYTES element (typed bytes_contents or raw)
 * @param maxParameters parameters of one request, and of each of its inputs and outputs
 * @param maxParameterBytes the length of one parameter's key plus its string value
 * @param maxModelNameLength characters of a model name
 * @param maxConcurrentCallsPerConnection calls (HTTP/2 streams) open at once on one connection
 * @param permitKeepAliveTime the shortest interval between a client's keepalive pings; more
 *     frequent pings get the connection closed (GOAWAY ENHANCE_YOUR_CALM)
 * @param maxConnectionIdle a connection without calls for this long is closed
 * @param maxHeaderBytes the size of one call's metadata (headers); larger is refused
 * @param maxStreamInFlight requests of one ModelStreamInfer stream being answered at once; the
 *     server reads no more from the stream (HTTP/2 flow control holds the client) until one is
 */
public record InputLimits(
    int maxTensors,
    int maxRank,
    long maxDimension,
    long maxElements,
    int maxBytesElement,
    int maxParameters,
    int maxParameterBytes,
    int maxModelNameLength,
    int maxConcurrentCallsPerConnection,
    Duration permitKeepAliveTime,
    Duration maxConnectionIdle,
    int maxHeaderBytes,
    int maxStreamInFlight) {

  /** The HOCON path of this block. */
  public static final String PATH = "braid.frontend.limits";

  public InputLimits {
    atLeast("max-tensors", maxTensors, 1);
    atLeast("max-rank", maxRank, 1);
    atLeast("max-dimension", maxDimension, 1);
    atLeast("max-elements", maxElements, 1);
    atLeast("max-bytes-element", maxBytesElement, 1);
    atLeast("max-parameters", maxParameters, 0);
    atLeast("max-parameter-bytes", maxParameterBytes, 1);
    atLeast("max-model-name-length", maxModelNameLength, 1);
    atLeast("max-concurrent-calls-per-connection", maxConcurrentCallsPerConnection, 1);
    ConfigValues.requireNonNegative(PATH + ".permit-keepalive-time",
        Objects.requireNonNull(permitKeepAliveTime, "permitKeepAliveTime"));
    ConfigValues.requirePositive(PATH + ".max-connection-idle",
        Objects.requireNonNull(maxConnectionIdle, "maxConnectionIdle"));
    atLeast("max-header-bytes", maxHeaderBytes, 1024);
    atLeast("max-stream-in-flight", maxStreamInFlight, 1);
  }

  /** Reads the block from {@code config} (which must include the reference defaults). */
  public static InputLimits from(Config config) {
    return new InputLimits(
        ConfigValues.intAtLeast(config, PATH + ".max-tensors", 1),
        ConfigValues.intAtLeast(config, PATH + ".max-rank", 1),
        longAtLeast(config, PATH + ".max-dimension", 1),
        longAtLeast(config, PATH + ".max-elements", 1),
        bytes(config, PATH + ".max-bytes-element"),
        ConfigValues.intAtLeast(config, PATH + ".max-parameters", 0),
        bytes(config, PATH + ".max-parameter-bytes"),
        ConfigValues.intAtLeast(config, PATH + ".max-model-name-length", 1),
        ConfigValues.intAtLeast(config, PATH + ".max-concurrent-calls-per-connection", 1),
        ConfigValues.nonNegativeDuration(config, PATH + ".permit-keepalive-time"),
        ConfigValues.nonNegativeDuration(config, PATH + ".max-connection-idle"),
        bytes(config, PATH + ".max-header-bytes"),
        ConfigValues.intAtLeast(config, PATH + ".max-stream-in-flight", 1));
  }

  /** A copy with other request bounds (tests). */
  public InputLimits withTensorBounds(int tensors, int rank, long dimension, long elements) {
    return new InputLimits(tensors, rank, dimension, elements, maxBytesElement, maxParameters, maxParameterBytes,
        maxModelNameLength, maxConcurrentCallsPerConnection, permitKeepAliveTime, maxConnectionIdle, maxHeaderBytes,
        maxStreamInFlight);
  }

  private static void atLeast(String key, long value, long min) {
    if (value < min) {
      throw SettingsException.invalid(PATH + "." + key, "a value of at least " + min, value);
    }
  }

  private static long longAtLeast(Config config, String key, long min) {
    long v;
    try {
      v = config.getLong(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + ": required setting is missing", e);
    } catch (ConfigException.WrongType e) {
      throw SettingsException.invalid(key, "an integer of at least " + min, config.getValue(key).unwrapped());
    }
    if (v < min) {
      throw SettingsException.invalid(key, "an integer of at least " + min, v);
    }
    return v;
  }

  private static int bytes(Config config, String key) {
    long v;
    try {
      v = config.getBytes(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + ": required setting is missing (expected a size such as '1 MiB')", e);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw SettingsException.invalid(key, "a size such as '1 MiB'", config.getValue(key).unwrapped());
    }
    if (v < 1 || v > Integer.MAX_VALUE) {
      throw SettingsException.invalid(key, "a size between 1 byte and 2 GiB", v);
    }
    return (int) v;
  }
}
