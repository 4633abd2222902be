package dev.braid.gpu.sched;

import static dev.braid.gpu.sched.TestPlans.K1;
import static dev.braid.gpu.sched.TestPlans.K2;
import static dev.braid.gpu.sched.TestPlans.op;
import static dev.braid.gpu.sched.TestPlans.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.plan.KernelPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Rules every policy keeps, run through {@link DeviceLoop} on a mixed workload. */
class PolicyInvariantsTest {
  static final KernelPlan A = plan("a", op(K1, 1), op(null, 1), op(K2, 2), op(K1, 1));
  static final KernelPlan B = plan("b", op(K1, 2), op(K2, 1), op(K1, 1));
  static final KernelPlan C = plan("c", op(null, 40), op(K1, 1));

  /** Twelve jobs of three models, arriving every 300 ns, deadlines 5 to 16 us after arrival. */
  static List<Job> workload() {
    List<Job> jobs = new ArrayList<>();
    KernelPlan[] plans = {A, B, C};
    for (int i = 0; i < 12; i++) {
      long arrival = 300L * i;
      jobs.add(new Job(i, plans[i % 3], arrival + 5_000 + 1_000L * ((i * 7) % 12), i % 2, arrival));
    }
    return jobs;
  }

  static DeviceLoop run(String policy, int streams, int inFlightPerStream) {
    SpaceTimeScheduler s = new SpaceTimeScheduler(TestPlans.config(streams, inFlightPerStream, Duration.ofMillis(1)),
        TestPlans.gpuCost(1_000, A, B, C), SchedulingPolicies.named(policy));
    return new DeviceLoop(s).run(workload());
  }

  @ParameterizedTest
  @ValueSource(strings = {"fifo", "time-only", "space-only", "space-time"})
  void everyJobFinishesExactlyOnceAndOpsRunInOrderAfterTheirPredecessor(String policy) {
    for (int inFlight : new int[] {1, 2}) {
      // DeviceLoop asserts order, predecessor completion and exactly-once finishing.
      DeviceLoop loop = run(policy, 3, inFlight);
      assertEquals(12, loop.finishedAtNanos.size());
      int ops = loop.runs.stream().mapToInt(r -> r.launch().ops().size()).sum();
      assertEquals(4 * 4 + 4 * 3 + 4 * 2, ops, "every op ran exactly once");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"fifo", "time-only", "space-only", "space-time"})
  void onlyOpsWithEqualFusionKeysShareALaunch(String policy) {
    for (DeviceLoop.Run r : run(policy, 3, 2).runs) {
      if (r.launch().isSuperKernel()) {
        assertTrue(r.launch().fusionKey().isPresent());
        r.launch().ops().forEach(o -> assertEquals(r.launch().fusionKey(), o.fusionKey()));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"fifo", "time-only", "space-only", "space-time"})
  void sameInputsGiveTheSameLaunches(String policy) {
    assertEquals(run(policy, 3, 2).trace(), run(policy, 3, 2).trace());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void timeOnlyNeverOverlapsTwoModels(int inFlightPerStream) {
    List<DeviceLoop.Run> runs = run("time-only", 3, inFlightPerStream).runs;
    Set<Integer> streams = new HashSet<>();
    for (DeviceLoop.Run x : runs) {
      streams.add(x.launch().stream());
      assertFalse(x.launch().isSuperKernel());
      for (DeviceLoop.Run y : runs) {
        boolean overlap = x.startNanos() < y.endNanos() && y.startNanos() < x.endNanos();
        if (overlap) {
          assertEquals(x.launch().ops().get(0).job().model(), y.launch().ops().get(0).job().model(),
              "time-only overlapped " + x + " and " + y);
        }
      }
    }
    assertEquals(Set.of(0), streams, "time-only uses the most urgent stream only");
  }

  @ParameterizedTest
  @ValueSource(strings = {"fifo", "space-only"})
  void baselinesAndSpaceOnlyNeverFuse(String policy) {
    assertTrue(run(policy, 3, 2).runs.stream().noneMatch(r -> r.launch().isSuperKernel()));
  }

  @org.junit.jupiter.api.Test
  void spaceOnlyGivesEachModelItsOwnStreamAndOverlapsThem() {
    List<DeviceLoop.Run> runs = run("space-only", 3, 1).runs;
    for (String model : List.of("a", "b", "c")) {
      Set<Integer> streams = new HashSet<>();
      runs.stream().filter(r -> r.launch().ops().get(0).job().model().equals(model))
          .forEach(r -> streams.add(r.launch().stream()));
      assertEquals(1, streams.size(), "model " + model + " stays on one stream: " + streams);
    }
    Set<Integer> all = new HashSet<>();
    runs.forEach(r -> all.add(r.launch().stream()));
    assertEquals(Set.of(0, 1, 2), all, "three models, three streams");
  }

  @org.junit.jupiter.api.Test
  void spaceTimeFinishesTheWorkloadSoonerThanTimeOnlyAndFifo() {
    long spaceTime = makespan(run("space-time", 3, 1));
    assertTrue(spaceTime < makespan(run("time-only", 3, 1)), "space-time " + spaceTime);
    assertTrue(spaceTime < makespan(run("fifo", 3, 1)), "space-time " + spaceTime);
  }

  private static long makespan(DeviceLoop loop) {
    return loop.runs.stream().mapToLong(DeviceLoop.Run::endNanos).max().orElseThrow();
  }
}
