package dev.braid.device.sim;

import static dev.braid.device.sim.GpuProfiles.V100;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.kernel.Gemm;
import org.junit.jupiter.api.Test;

/** The host launch path's counter of {@link SimStats}. */
class SimStatsTest {
  private static final Gemm SQUARE = Gemm.of(256, 256, 256);

  @Test
  void hostBusyCountsEveryLaunchsDriverCallsAndEventAGroupedOneIncluded() {
    SimulatedDevice d = new SimulatedDevice(V100);
    long before = d.stats().hostBusyNanos();
    for (int i = 0; i < 3; i++) {
      d.launch(Sim.launchOf(d, SQUARE), d.defaultStream());
    }
    d.launch(Sim.grouped(d, SQUARE, 5), d.defaultStream());
    d.runUntilIdle();
    SimStats s = d.stats();
    // each GEMM uploads its offsets and launches; the grouped launch uploads its table and launches
    assertEquals(4 * V100.timing().hostNanosFor(2), s.hostBusyNanos() - before);
    assertTrue(s.hostBusyNanos() <= s.totalNanos(), "the host path cannot be busy longer than time passed: " + s);
  }

  @Test
  void withoutLaunchOverheadTheHostPathIsNeverBusy() {
    SimulatedDevice d = new SimulatedDevice(Sim.v100WithoutLaunchOverhead());
    d.launch(Sim.launchOf(d, SQUARE), d.defaultStream());
    d.runUntilIdle();
    assertEquals(0, d.stats().hostBusyNanos());
  }
}
