package dev.braid.bench.table1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.BufferSlice;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.LaunchPacker;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Properties the simulated device must give Table 1 (what its model computes, not the paper's
 * ratios), and the runner's timing rule: first launch to last completion.
 */
class Table1RunnerTest {
  private static Table1Runner simRunner(SimulatedDevice sim) {
    return new Table1Runner(sim, DeviceTiming.of(sim), 0, 1, 1);
  }

  @Test
  void onSimConv22SpaceTimeThroughputGrowsWithR() throws Exception {
    try (SimulatedDevice sim = new SimulatedDevice(GpuProfiles.V100)) {
      Table1Runner runner = simRunner(sim);
      double previous = 0;
      double first = 0;
      for (int r : Table1Command.PAPER_R) {
        double g = runner.measure(Table1Shape.CONV2_2, r).gflops(Approach.SPACE_TIME);
        assertTrue(g >= previous, "a grouped launch of more problems fills more SMs: R=" + r + " gives " + g
            + " GFLOP/s after " + previous);
        if (first == 0) {
          first = g;
        }
        previous = g;
      }
      assertTrue(previous > 2 * first, "from R=2 to R=120 the grouped launch goes from a few SMs to all of them: "
          + first + " -> " + previous + " GFLOP/s");
    }
  }

  @Test
  void onSimConv22SpaceTimeBeatsTimeOnlyFromTenProblems() throws Exception {
    try (SimulatedDevice sim = new SimulatedDevice(GpuProfiles.V100)) {
      Table1Runner runner = simRunner(sim);
      for (int r : Table1Command.PAPER_R) {
        if (r < 10) {
          continue;
        }
        Table1Row row = runner.measure(Table1Shape.CONV2_2, r);
        assertTrue(row.speedupOver(Approach.TIME_ONLY) > 1, "one launch instead of " + r
            + " amortises the launch overhead and fills idle SMs: " + row);
      }
    }
  }

  @Test
  void onSimATimeIsFromTheFirstLaunchCallToTheLastCompletion() throws Exception {
    try (SimulatedDevice sim = new SimulatedDevice(GpuProfiles.V100)) {
      Table1Runner runner = simRunner(sim);
      Table1Row one = runner.measure(Table1Shape.SQUARE, 1);
      Table1Row five = runner.measure(Table1Shape.SQUARE, 5);
      // estimateNanos: the launch alone on an idle device, from the host call to its completion.
      Gemm gemm = Gemm.of(256, 256, 256);
      long single = sim.estimateNanos(launchOf(sim, gemm));
      List<KernelLaunch> problems = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        problems.add(launchOf(sim, gemm));
      }
      long grouped = sim.estimateNanos(new GroupedLaunch(problems));
      for (Approach a : Approach.values()) {
        assertEquals(single, one.medianNanos().get(a), "R=1 is one launch whichever way: " + a.label());
      }
      assertEquals(grouped, five.medianNanos().get(Approach.SPACE_TIME));
      long launchOverhead = sim.profile().timing().hostNanosFor(LaunchPacker.driverCalls(launchOf(sim, gemm)));
      assertTrue(five.medianNanos().get(Approach.TIME_ONLY) >= 5 * (single - launchOverhead),
          "five kernels in one stream take at least five kernel times: " + five);
    }
  }

  private static KernelLaunch launchOf(SimulatedDevice sim, Gemm gemm) {
    List<BufferSlice> args = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      args.add(new BufferSlice(sim.allocate(gemm.argBytes(i)), 0, gemm.argBytes(i)));
    }
    return new KernelLaunch(gemm, args);
  }

  @Test
  void theNextBestIsTheFasterBaselineAndTheSpeedupIsOverIt() {
    Map<Approach, Long> nanos = new EnumMap<>(Approach.class);
    nanos.put(Approach.TIME_ONLY, 400L);
    nanos.put(Approach.SPACE_ONLY, 200L);
    nanos.put(Approach.SPACE_TIME, 100L);
    Table1Row row = new Table1Row(Table1Shape.SQUARE, 4, nanos, 1);
    assertEquals(Approach.SPACE_ONLY, row.nextBest());
    assertEquals(2.0, row.speedupVsNextBest(), 1e-12);
    assertEquals(4.0, row.speedupOver(Approach.TIME_ONLY), 1e-12);
    assertEquals(4 * 2.0 * 256 * 256 * 256 / 100, row.gflops(Approach.SPACE_TIME), 1e-9);
  }

  @Test
  void geomeanIsOverRowsAndAgainstThePapersBaseline() {
    Map<Approach, Long> a = Map.of(Approach.TIME_ONLY, 100L, Approach.SPACE_ONLY, 300L, Approach.SPACE_TIME, 50L);
    Map<Approach, Long> b = Map.of(Approach.TIME_ONLY, 800L, Approach.SPACE_ONLY, 400L, Approach.SPACE_TIME, 50L);
    ShapeSummary s = ShapeSummary.of(Table1Shape.MATVEC,
        List.of(new Table1Row(Table1Shape.MATVEC, 2, a, 1), new Table1Row(Table1Shape.MATVEC, 5, b, 1)));
    // speed-ups over the next best: 2 (time-only) and 8 (space-only); geomean 4
    assertEquals(4.0, s.vsNextBest(), 1e-9);
    assertEquals(Math.sqrt(2.0 * 16.0), s.vsTimeOnly(), 1e-9);
    assertEquals(s.vsTimeOnly(), s.vsPaperBaseline(), 0, "the paper's matvec geomean is over time-only");
    assertEquals(2, s.minR());
    assertEquals(5, s.maxR());
  }

  @Test
  void aRowRejectsANonPositiveTime() {
    Map<Approach, Long> nanos = Map.of(Approach.TIME_ONLY, 100L, Approach.SPACE_ONLY, 0L, Approach.SPACE_TIME, 50L);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Table1Row(Table1Shape.SQUARE, 3, nanos, 1));
    assertTrue(e.getMessage().contains("space-only") && e.getMessage().contains("0 ns"), e.getMessage());
  }
}
