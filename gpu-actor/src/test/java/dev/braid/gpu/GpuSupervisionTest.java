package dev.braid.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.config.SettingsException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GpuSupervisionTest {
  @Test
  void defaultsBackOffFromATenthOfASecondToTenSeconds() {
    GpuSupervision s = GpuSupervision.from(ConfigFactory.defaultReference());
    assertEquals(Duration.ofMillis(100), s.minBackoff());
    assertEquals(Duration.ofSeconds(10), s.maxBackoff());
    assertEquals(0.2, s.randomFactor());
  }

  @Test
  void badValuesNameTheKeyAndTheValue() {
    SettingsException e = assertThrows(SettingsException.class, () -> GpuSupervision.from(ConfigFactory.parseString(
        "braid.gpu.supervision.max-backoff = 10ms").withFallback(ConfigFactory.defaultReference())));
    assertTrue(e.getMessage().contains("braid.gpu.supervision.max-backoff") && e.getMessage().contains("PT0.01S"),
        e.getMessage());
    e = assertThrows(SettingsException.class, () -> GpuSupervision.from(ConfigFactory.parseString(
        "braid.gpu.supervision.random-factor = 2").withFallback(ConfigFactory.defaultReference())));
    assertTrue(e.getMessage().contains("braid.gpu.supervision.random-factor") && e.getMessage().contains("2"),
        e.getMessage());
    e = assertThrows(SettingsException.class, () -> new GpuSupervision(Duration.ZERO, Duration.ofSeconds(1), 0));
    assertTrue(e.getMessage().contains("braid.gpu.supervision.min-backoff"), e.getMessage());
  }
}
