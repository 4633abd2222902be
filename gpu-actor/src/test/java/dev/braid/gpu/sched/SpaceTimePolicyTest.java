package dev.braid.gpu.sched;

import static dev.braid.gpu.sched.TestPlans.K1;
import static dev.braid.gpu.sched.TestPlans.K2;
import static dev.braid.gpu.sched.TestPlans.chain;
import static dev.braid.gpu.sched.TestPlans.job;
import static dev.braid.gpu.sched.TestPlans.op;
import static dev.braid.gpu.sched.TestPlans.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.plan.KernelPlan;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpaceTimePolicyTest {
  static final long FAR = 1_000_000_000L;

  static SpaceTimeScheduler scheduler(SchedulerConfig config, long opNanos, KernelPlan... plans) {
    return new SpaceTimeScheduler(config, TestPlans.gpuCost(opNanos, plans), SchedulingPolicies.named("space-time"));
  }

  static List<Long> jobIds(PlannedLaunch l) {
    return l.ops().stream().map(o -> o.job().id()).toList();
  }

  @Test
  void fusesSameKeyOpsOfDifferentModelsAndRunsUnkeyedOpsAlone() {
    KernelPlan a = chain("a", 2, K1);
    KernelPlan b = chain("b", 2, K1);
    KernelPlan c = chain("c", 2, K1);
    KernelPlan d = chain("d", 2, null);
    SpaceTimeScheduler s = scheduler(TestPlans.config(3, 1, Duration.ofSeconds(1)), 1_000, a, b, c, d);
    s.admit(job(1, a, FAR, 0));
    s.admit(job(2, b, FAR + 1, 0));
    s.admit(job(3, c, FAR + 2, 0));
    s.admit(job(4, d, FAR + 3, 0));
    List<PlannedLaunch> launches = s.plan(0);
    assertEquals(2, launches.size());
    assertEquals(List.of(1L, 2L, 3L), jobIds(launches.get(0)));
    assertEquals(Optional.of(K1), launches.get(0).fusionKey());
    assertEquals(List.of(4L), jobIds(launches.get(1)));
    assertEquals(List.of("a", "b", "c"), launches.get(0).ops().stream().map(o -> o.job().model()).toList());
  }

  @Test
  void ordersGroupsByEarliestDeadlineAndGivesTheMostUrgentTheUrgentStream() {
    KernelPlan x = chain("x", 1, K2);
    KernelPlan y = chain("y", 1, K1);
    KernelPlan z = chain("z", 1, K1);
    SpaceTimeScheduler s = scheduler(TestPlans.config(2, 1, Duration.ofSeconds(1)), 1_000, x, y, z);
    s.admit(job(1, y, 50_000, 0));
    s.admit(job(2, z, 60_000, 0));
    s.admit(job(3, x, 10_000, 5));
    List<PlannedLaunch> launches = s.plan(10);
    assertEquals(List.of(3L), jobIds(launches.get(0)));
    assertEquals(0, launches.get(0).stream(), "stream 0 has the most urgent priority (-1)");
    assertEquals(List.of(1L, 2L), jobIds(launches.get(1)));
    assertEquals(1, launches.get(1).stream());
  }

  @Test
  void aMoreUrgentPriorityLevelComesBeforeAnEarlierDeadline() {
    KernelPlan critical = chain("critical", 1, K2);
    KernelPlan bestEffort = chain("best-effort", 1, K1);
    SpaceTimeScheduler s = scheduler(TestPlans.config(2, 1, Duration.ofSeconds(1)).withLessUrgentLaunches(2), 1_000,
        critical, bestEffort);
    s.admit(new Job(1, bestEffort, 10_000, 1, 0));
    s.admit(new Job(2, critical, 50_000, 0, 0));
    List<PlannedLaunch> launches = s.plan(0);
    assertEquals(List.of(2L), jobIds(launches.get(0)), "the priority-0 job leads despite its later deadline");
    assertEquals(0, launches.get(0).stream());
    assertEquals(List.of(1L), jobIds(launches.get(1)));
    assertEquals(1, launches.get(1).stream());
  }

  @Test
  void lessUrgentLevelsLeaveTheUrgentStreamFreeWhileAMoreUrgentJobIsInTheScheduler() {
    KernelPlan critical = chain("critical", 2, K2);
    KernelPlan first = chain("first", 1, null);
    KernelPlan second = chain("second", 1, null);
    SpaceTimeScheduler s = scheduler(TestPlans.config(3, 1, Duration.ofSeconds(1)).withLessUrgentLaunches(3), 1_000,
        critical, first, second);
    s.admit(new Job(1, first, FAR, 1, 0));
    PlannedLaunch e1 = s.plan(0).get(0);
    assertEquals(0, e1.stream(), "with no more urgent job, best-effort work takes the urgent stream");
    s.admit(new Job(2, critical, FAR, 0, 10));
    PlannedLaunch c0 = s.plan(10).get(0);
    assertEquals(1, c0.stream(), "the urgent stream is busy, so the critical op takes the next");
    s.completed(e1.launchId(), 1_000);
    s.admit(new Job(3, second, FAR, 1, 1_000));
    PlannedLaunch e2 = s.plan(1_000).get(0);
    assertEquals(List.of(3L), jobIds(e2));
    assertEquals(2, e2.stream(), "the free urgent stream stays for the critical job's next op");
    s.completed(c0.launchId(), 1_010);
    PlannedLaunch c1 = s.plan(1_010).get(0);
    assertEquals(List.of(2L), jobIds(c1));
    assertEquals(0, c1.stream());
  }

  @Test
  void strictPriorityKeepsLessUrgentWorkBackWhileAMoreUrgentJobIsInTheSchedulerUnlessItAged() {
    KernelPlan critical = chain("critical", 2, K2);
    KernelPlan lax = chain("lax", 1, null);
    KernelPlan old = chain("old", 1, null);
    Duration aging = Duration.ofNanos(100_000);
    SpaceTimeScheduler s = scheduler(TestPlans.config(3, 1, aging), 1_000, critical, lax, old);
    s.admit(new Job(1, critical, FAR, 0, 0));
    s.admit(new Job(2, lax, FAR, 1, 0));
    List<PlannedLaunch> first = s.plan(0);
    assertEquals(List.of(List.of(1L)), first.stream().map(SpaceTimePolicyTest::jobIds).toList(),
        "with the default limit of 0 no best-effort launch runs beside the critical job");
    s.admit(new Job(3, old, FAR, 1, 0));
    s.completed(first.get(0).launchId(), 150_000);
    List<PlannedLaunch> second = s.plan(150_000);
    assertEquals(List.of(List.of(1L), List.of(2L), List.of(3L)), second.stream().map(SpaceTimePolicyTest::jobIds).toList(),
        "past the aging threshold best-effort jobs launch beside it");
    assertEquals(0, second.get(0).stream());

    SpaceTimeScheduler fresh = scheduler(TestPlans.config(3, 1, aging), 1_000, critical, lax);
    fresh.admit(new Job(1, critical, FAR, 0, 0));
    fresh.admit(new Job(2, lax, FAR, 1, 0));
    PlannedLaunch c0 = fresh.plan(0).get(0);
    assertTrue(fresh.plan(0).isEmpty(), "nothing else launches while the critical job runs");
    fresh.completed(c0.launchId(), 1_000);
    PlannedLaunch next = fresh.plan(1_000).get(0);
    assertEquals(List.of(1L), jobIds(next), "the critical job's second op, still alone");
    fresh.completed(next.launchId(), 2_000);
    assertEquals(List.of(2L), jobIds(fresh.plan(2_000).get(0)), "once the critical job has finished, the rest runs");
  }

  @Test
  void neverGroupsACriticalOpWithBestEffortPartners() {
    KernelPlan critical = chain("critical", 1, K1);
    KernelPlan a = chain("a", 1, K1);
    KernelPlan b = chain("b", 1, K1);
    SpaceTimeScheduler s = scheduler(TestPlans.config(3, 1, Duration.ofSeconds(1)).withLessUrgentLaunches(3), 1_000,
        critical, a, b);
    s.admit(new Job(1, critical, FAR, 0, 0));
    s.admit(new Job(2, a, FAR, 1, 0));
    s.admit(new Job(3, b, FAR, 1, 0));
    List<PlannedLaunch> launches = s.plan(0);
    assertEquals(List.of(List.of(1L), List.of(2L, 3L)), launches.stream().map(SpaceTimePolicyTest::jobIds).toList());
  }

  @Test
  void stopsGrowingASuperKernelWhenItsGridsFillTheConfiguredWaves() {
    // 16 blocks of 256 threads are half a wave of the test GPU (4 SMs x 8 blocks); 2 waves hold 4.
    KernelPlan[] plans = new KernelPlan[6];
    for (int i = 0; i < 6; i++) {
      plans[i] = plan("m" + i, op(K1, 16));
    }
    SpaceTimeScheduler s = scheduler(TestPlans.config(2, 1, Duration.ofSeconds(1)), 1_000, plans);
    for (int i = 0; i < 6; i++) {
      s.admit(job(i, plans[i], FAR + i, 0));
    }
    List<PlannedLaunch> launches = s.plan(0);
    assertEquals(List.of(0L, 1L, 2L, 3L), jobIds(launches.get(0)));
    assertEquals(List.of(4L, 5L), jobIds(launches.get(1)));
  }

  @Test
  void stopsGrowingASuperKernelBeforeTheTightestFeasibleDeadlineWouldBeMissed() {
    // Full-wave grids: grouping n of them costs n x 1000 ns. The lead can afford 2500 ns.
    KernelPlan[] plans = new KernelPlan[5];
    for (int i = 0; i < 5; i++) {
      plans[i] = plan("m" + i, op(K1, 32));
    }
    SchedulerConfig manyWaves = new SchedulerConfig(List.of(-1), 16, Optional.of(TestPlans.GPU), 1, 100, Duration.ofSeconds(1));
    SpaceTimeScheduler s = scheduler(manyWaves, 1_000, plans);
    s.admit(job(0, plans[0], 100, 0)); // already late alone: does not constrain the group
    s.admit(job(1, plans[1], 2_500, 0));
    for (int i = 2; i < 5; i++) {
      s.admit(job(i, plans[i], FAR, 0));
    }
    PlannedLaunch l = s.plan(0).get(0);
    assertEquals(List.of(0L, 1L), jobIds(l));
    assertEquals(2_000, l.window().expectedDurationNanos());
  }

  @Test
  void neverGroupsMoreThanMaxOpsPerSuperKernel() {
    KernelPlan[] plans = new KernelPlan[5];
    for (int i = 0; i < 5; i++) {
      plans[i] = plan("m" + i, op(K1, 1));
    }
    SchedulerConfig three = new SchedulerConfig(List.of(-1, 0), 3, Optional.of(TestPlans.GPU), 1, 2, Duration.ofSeconds(1));
    SpaceTimeScheduler s = scheduler(three, 1_000, plans);
    for (int i = 0; i < 5; i++) {
      s.admit(job(i, plans[i], FAR, 0));
    }
    List<PlannedLaunch> launches = s.plan(0);
    assertEquals(List.of(3, 2), launches.stream().map(l -> l.ops().size()).toList());
  }

  @Test
  void windowEndsAtTheTightestDeadlineLessTheLaunchAndTheWorkAfterIt() {
    KernelPlan a = chain("a", 3, K1);
    KernelPlan b = chain("b", 1, K1);
    SpaceTimeScheduler s = scheduler(TestPlans.config(1, 1, Duration.ofSeconds(1)), 1_000, a, b);
    s.admit(job(1, a, 20_000, 0));
    s.admit(job(2, b, 9_000, 0));
    LaunchWindow w = s.plan(100).get(0).window();
    assertEquals(100, w.earliestStartNanos());
    assertEquals(1_000, w.expectedDurationNanos(), "one-block grids group for the price of one");
    // job 1: 20000 - 1000 - 2000 after it; job 2: 9000 - 1000 - 0.
    assertEquals(8_000, w.latestStartNanos());
  }

  @Test
  void policySwitchAtRunTimeTakesEffectForTheNextLaunches() {
    KernelPlan a = chain("a", 2, K1);
    KernelPlan b = chain("b", 2, K1);
    SpaceTimeScheduler s = new SpaceTimeScheduler(TestPlans.config(2, 1, Duration.ofSeconds(1)),
        TestPlans.gpuCost(1_000, a, b), SchedulingPolicies.named("space-only"));
    s.admit(job(1, a, FAR, 0));
    s.admit(job(2, b, FAR, 0));
    List<PlannedLaunch> first = s.plan(0);
    assertEquals(List.of(1, 1), first.stream().map(l -> l.ops().size()).toList());
    s.setPolicy(SchedulingPolicies.named("space-time"));
    assertEquals("space-time", s.policy().name());
    assertEquals(first, s.launchesInFlight(), "launches in flight are untouched");
    first.forEach(l -> s.completed(l.launchId(), 1_000));
    List<PlannedLaunch> second = s.plan(1_000);
    assertEquals(1, second.size());
    assertEquals(List.of(1L, 2L), jobIds(second.get(0)));
  }
}
