package dev.braid.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class RuntimeSettingsTest {
  private static Config withReference(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  @Test
  void defaultsAreAutoDeviceAndOneThreadPerCore() {
    RuntimeSettings s = RuntimeSettings.from(withReference(""));
    assertEquals(DeviceSpec.auto(), s.device());
    assertEquals(Runtime.getRuntime().availableProcessors(), s.cpuThreads());
  }

  @Test
  void explicitValuesOverrideDefaults() {
    RuntimeSettings s = RuntimeSettings.from(withReference("braid.runtime { device = cpu, cpu-threads = 3 }"));
    assertEquals(DeviceSpec.cpu(), s.device());
    assertEquals(3, s.cpuThreads());
  }

  @Test
  void negativeThreadCountNamesTheFullKey() {
    SettingsException e =
        assertThrows(SettingsException.class, () -> RuntimeSettings.from(withReference("braid.runtime.cpu-threads = -2")));
    assertEquals("braid.runtime.cpu-threads: expected an integer >= 0, got '-2'", e.getMessage());
  }

  @Test
  void nonNumericThreadCountIsRejected() {
    SettingsException e =
        assertThrows(SettingsException.class, () -> RuntimeSettings.from(withReference("braid.runtime.cpu-threads = lots")));
    assertTrue(e.getMessage().contains("got 'lots'"), e.getMessage());
  }

  @Test
  void badDeviceNamesTheFullKey() {
    SettingsException e =
        assertThrows(SettingsException.class, () -> RuntimeSettings.from(withReference("braid.runtime.device = tpu")));
    assertTrue(e.getMessage().startsWith("braid.runtime.device: expected auto"), e.getMessage());
  }
}
