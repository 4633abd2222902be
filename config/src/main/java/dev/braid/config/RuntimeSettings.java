package dev.braid.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Settings shared by every Braid process, from the {@code braid.runtime} block (defaults and a
 * comment per key in this module's {@code reference.conf}).
 *
 * @param device the device to run on when a command does not say
 * @param cpuThreads worker threads of the CPU device; never 0 here ({@code 0} in configuration
 *     means one per available processor and is resolved when read)
 */
public record RuntimeSettings(DeviceSpec device, int cpuThreads) {
  /** The HOCON path of this block. */
  public static final String PATH = "braid.runtime";

  public RuntimeSettings {
    if (cpuThreads < 1) {
      throw SettingsException.invalid(PATH + ".cpu-threads", "an integer >= 1 (0 in configuration means all cores)", cpuThreads);
    }
  }

  /** Reads the block from {@code config} (which must include the reference defaults). */
  public static RuntimeSettings from(Config config) {
    DeviceSpec device = DeviceSpec.parse(PATH + ".device", ConfigValues.string(config, PATH + ".device"));
    int threads = ConfigValues.intAtLeast(config, PATH + ".cpu-threads", 0);
    if (threads == 0) {
      threads = Runtime.getRuntime().availableProcessors();
    }
    return new RuntimeSettings(device, threads);
  }

  /** The settings from {@code application.conf}, system properties and the defaults. */
  public static RuntimeSettings load() {
    return from(ConfigFactory.load());
  }
}
