package dev.braid.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import dev.braid.config.SettingsException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class GpuSettingsTest {
  private static GpuSettings read(String overrides) {
    return GpuSettings.from(ConfigFactory.parseString(overrides).withFallback(ConfigFactory.defaultReference()));
  }

  @Test
  void defaultsComeFromReferenceConf() {
    GpuSettings s = GpuSettings.defaults();
    assertEquals("space-time", s.policy());
    assertEquals(List.of(-1, 0, 0, 0, 0, 0, 0, 0), s.streamPriorities());
    assertEquals(Duration.ZERO, s.maxHold());
    assertEquals(Duration.ofNanos(50_000), read("braid.gpu.max-hold = 50us").schedulerConfig(java.util.Optional.empty())
        .maxHold());
    assertEquals(0, s.lessUrgentLaunches());
    assertEquals(3, read("braid.gpu.less-urgent-launches = 3").schedulerConfig(java.util.Optional.empty())
        .lessUrgentLaunches());
    assertEquals(64, s.maxOpsPerSuperKernel());
    assertEquals(Duration.ofMillis(200), s.agingThreshold());
    assertEquals(1, s.profilingRuns());
    assertEquals(Duration.ofSeconds(1), s.endpointReplyGrace());
    assertEquals(2, s.maxBatchesInFlightPerModel());
  }

  @Test
  void badValuesNameTheKeyAndTheValue() {
    assertEquals("braid.gpu.policy: expected one of time-only, space-only, space-time, fifo, got 'mps'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.policy = mps")).getMessage());
    assertEquals("braid.gpu.super-kernel-waves: expected a positive number, got '0.0'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.super-kernel-waves = 0")).getMessage());
    assertEquals("braid.gpu.stream-priorities: expected a list of at least one integer priority, got '[]'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.stream-priorities = []")).getMessage());
    assertEquals("braid.gpu.max-ops-per-super-kernel: expected an integer >= 1, got '0'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.max-ops-per-super-kernel = 0")).getMessage());
    assertEquals("braid.gpu.profiling-runs: expected an integer >= 0, got '-1'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.profiling-runs = -1")).getMessage());
    assertEquals("braid.gpu.endpoint.reply-grace: expected a duration >= 0, got 'PT-1S'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.endpoint.reply-grace = -1s")).getMessage());
    assertEquals("braid.gpu.max-hold: expected a duration >= 0, got 'PT-0.00001S'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.max-hold = -10us")).getMessage());
    assertEquals("braid.gpu.less-urgent-launches: expected an integer >= 0, got '-1'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.less-urgent-launches = -1")).getMessage());
    assertEquals("braid.gpu.max-batches-in-flight-per-model: expected an integer >= 1, got '0'",
        assertThrows(SettingsException.class, () -> read("braid.gpu.max-batches-in-flight-per-model = 0")).getMessage());
  }
}
