package dev.braid.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * Typed reads from a HOCON block whose failures are {@link SettingsException}s naming the full
 * key, the expected form and the received value (Typesafe Config's own messages name the origin
 * file but not what was expected, so every read goes through here).
 */
public final class ConfigValues {
  private ConfigValues() {}

  /** An int at {@code key} that is at least {@code min}. */
  public static int intAtLeast(Config config, String key, int min) {
    int v;
    try {
      v = config.getInt(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + ": required setting is missing (expected an integer >= " + min + ")", e);
    } catch (ConfigException.WrongType e) {
      throw SettingsException.invalid(key, "an integer >= " + min, config.getValue(key).unwrapped());
    }
    if (v < min) {
      throw SettingsException.invalid(key, "an integer >= " + min, v);
    }
    return v;
  }

  /** A string at {@code key}. */
  public static String string(Config config, String key) {
    try {
      return config.getString(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + ": required setting is missing (expected a string)", e);
    } catch (ConfigException.WrongType e) {
      throw SettingsException.invalid(key, "a string", config.getValue(key).unwrapped());
    }
  }

  /** A non-negative duration at {@code key}, in HOCON's duration form ("100us", "2 ms"). */
  public static Duration nonNegativeDuration(Config config, String key) {
    Duration d;
    try {
      d = config.getDuration(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + ": required setting is missing (expected a duration such as '100us')", e);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw SettingsException.invalid(key, "a duration such as '100us' or '2 ms'", config.getValue(key).unwrapped());
    }
    return requireNonNegative(key, d);
  }

  /** A duration > 0 at {@code key}, in HOCON's duration form ("100us", "2 ms"). */
  public static Duration positiveDuration(Config config, String key) {
    return requirePositive(key, nonNegativeDuration(config, key));
  }

  /**
   * {@code d}, or a SettingsException naming {@code key}, "a duration > 0" and {@code d} unless it
   * is positive: the check of the settings records' compact constructors.
   */
  public static Duration requirePositive(String key, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw SettingsException.invalid(key, "a duration > 0", d);
    }
    return d;
  }

  /** {@code d}, or a SettingsException naming {@code key}, "a duration >= 0" and {@code d} if it is negative. */
  public static Duration requireNonNegative(String key, Duration d) {
    if (d.isNegative()) {
      throw SettingsException.invalid(key, "a duration >= 0", d);
    }
    return d;
  }
}
