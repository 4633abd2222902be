package dev.braid.bench.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.gpu.GpuSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The workload generator, the ledger's percentile and the flag parsers, without a device. */
class WorkloadTest {
  private static List<Workload.Instance> instances(double rate) {
    return List.of(new Workload.Instance("a#0", "mlp", rate, 1_000_000, 10),
        new Workload.Instance("b#1", "bert", rate, 2_000_000, 20));
  }

  @Test
  void theSameSeedGivesTheSameArrivalsAndAnotherSeedOthers() {
    Workload a = Workload.generate(instances(100), 1_000_000_000L, 3);
    assertEquals(a, Workload.generate(instances(100), 1_000_000_000L, 3));
    assertNotEquals(a, Workload.generate(instances(100), 1_000_000_000L, 4));
  }

  @Test
  void arrivalsAreOrderedWithinTheWindowAndPoissonInCount() {
    long window = 10_000_000_000L;
    Workload w = Workload.generate(instances(500), window, 1);
    for (int i = 0; i < w.requestCount(); i++) {
      assertTrue(w.arrivalNanos(i) >= 0 && w.arrivalNanos(i) < window);
      assertTrue(i == 0 || w.arrivalNanos(i) >= w.arrivalNanos(i - 1), "ordered at " + i);
    }
    for (int count : w.requestsPerInstance()) {
      // 5000 expected, Poisson sd about 71: 5 sd either way
      assertTrue(Math.abs(count - 5000) < 355, "per-instance count " + count);
    }
  }

  @Test
  void oneInstanceAloneKeepsExactlyItsArrivalsInTheMix() {
    Workload mix = Workload.generate(instances(500), 1_000_000_000L, 7);
    Workload alone = mix.only("b#1");
    assertEquals(List.of("b#1"), alone.instances().stream().map(Workload.Instance::name).toList());
    List<Long> expected = new java.util.ArrayList<>();
    for (int i = 0; i < mix.requestCount(); i++) {
      if (mix.instanceOf(i) == 1) {
        expected.add(mix.arrivalNanos(i));
      }
    }
    List<Long> got = new java.util.ArrayList<>();
    for (int i = 0; i < alone.requestCount(); i++) {
      assertEquals(0, alone.instanceOf(i));
      got.add(alone.arrivalNanos(i));
    }
    assertTrue(expected.size() > 400, "about 500 arrivals, got " + expected.size());
    assertEquals(expected, got);
    assertThrows(IllegalArgumentException.class, () -> mix.only("c#2"));
  }

  @Test
  void percentileIsNearestRank() {
    long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertEquals(5, Ledger.percentile(sorted, 0.5));
    assertEquals(10, Ledger.percentile(sorted, 0.99));
    assertEquals(1, Ledger.percentile(sorted, 0.01));
    assertEquals(0, Ledger.percentile(new long[0], 0.5));
  }

  @Test
  void durationsAndSlosParseWithUnits() {
    assertEquals(20_000_000_000L, PoliciesFlags.parseDuration("--duration", "20s"));
    assertEquals(500_000_000L, PoliciesFlags.parseDuration("--duration", "500ms"));
    assertEquals(90_000_000_000L, PoliciesFlags.parseDuration("--duration", "1.5m"));
    assertThrows(IllegalArgumentException.class, () -> PoliciesFlags.parseDuration("--duration", "0s"));
    assertEquals(new PoliciesFlags.Slo(5, 0), PoliciesFlags.parseSlo("5x"));
    assertEquals(new PoliciesFlags.Slo(0, 25_000_000L), PoliciesFlags.parseSlo("25ms"));
  }

  @Test
  void spaceOnlyGetsOneStreamPerModelAndTheOthersTheDefaults() {
    assertEquals(16, PoliciesCommand.settingsFor("space-only", 16).streamPriorities().size());
    assertEquals(GpuSettings.defaults().streamPriorities(),
        PoliciesCommand.settingsFor("space-time", 16).streamPriorities());
    assertEquals("time-only", PoliciesCommand.settingsFor("time-only", 16).policy());
  }
}
