package dev.braid.protocol.serialization;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.braid.config.SettingsException;

/**
 * The {@code braid.protocol} block of the configuration.
 *
 * @param maxMessageBytes the largest serialized cluster message, in bytes
 */
public record ProtocolSettings(int maxMessageBytes) {
  public static final String MAX_MESSAGE_BYTES_KEY = "braid.protocol.max-message-bytes";

  public ProtocolSettings {
    // Kryo buffers are Java arrays, so 2^31 - 1 bytes is the hard ceiling.
    if (maxMessageBytes < 1) {
      throw SettingsException.invalid(MAX_MESSAGE_BYTES_KEY, "a size >= 1 byte", maxMessageBytes);
    }
  }

  /** Reads the settings from a full configuration (with {@code reference.conf} defaults). */
  public static ProtocolSettings fromConfig(Config config) {
    long bytes;
    try {
      bytes = config.getBytes(MAX_MESSAGE_BYTES_KEY);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(MAX_MESSAGE_BYTES_KEY + ": required setting is missing (expected a size such as '64 MiB')", e);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw SettingsException.invalid(MAX_MESSAGE_BYTES_KEY, "a size such as '64 MiB'",
          config.getValue(MAX_MESSAGE_BYTES_KEY).unwrapped());
    }
    if (bytes < 1 || bytes > Integer.MAX_VALUE) {
      throw SettingsException.invalid(MAX_MESSAGE_BYTES_KEY, "a size in [1 B, 2 GiB)", bytes);
    }
    return new ProtocolSettings((int) bytes);
  }
}
