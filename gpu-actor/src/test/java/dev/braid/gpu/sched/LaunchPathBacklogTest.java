package dev.braid.gpu.sched;

import static dev.braid.gpu.sched.TestPlans.K1;
import static dev.braid.gpu.sched.TestPlans.K2;
import static dev.braid.gpu.sched.TestPlans.chain;
import static dev.braid.gpu.sched.TestPlans.job;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.plan.KernelPlan;
import dev.braid.gpu.cost.CostModel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Space-time's launch-path limit ({@link SchedulerConfig#launchPathBacklog()}): it launches while
 * the host's path is booked less than the limit ahead, then waits and asks to plan again when the
 * path has drained to it; ops that become ready meanwhile join the waiting ones.
 */
class LaunchPathBacklogTest {
  private static final long FAR = 1_000_000_000L;
  /** Host time of one single-kernel launch in these tests. */
  private static final long HOST_NANOS = 1_000;

  private static SpaceTimeScheduler scheduler(Duration backlog, KernelPlan... plans) {
    CostModel cost = new CostModel(Optional.of(TestPlans.GPU), Duration.ofNanos(HOST_NANOS));
    for (KernelPlan p : plans) {
      for (int i = 0; i < p.size(); i++) {
        cost.record(p.model(), p.batchSize(), i, 10_000);
      }
    }
    SchedulerConfig config = TestPlans.config(8, 1, Duration.ofSeconds(1)).withLaunchPathBacklog(backlog);
    return new SpaceTimeScheduler(config, cost, SchedulingPolicies.named("space-time"));
  }

  private static List<Long> jobIds(PlannedLaunch l) {
    return l.ops().stream().map(o -> o.job().id()).toList();
  }

  @Test
  void launchesUntilThePathIsBookedToTheLimitThenWakesWhenItDrains() {
    KernelPlan a = chain("a", 2, K1);
    KernelPlan b = chain("b", 2, K2);
    KernelPlan c = chain("c", 2, null);
    KernelPlan d = chain("d", 2, null);
    SpaceTimeScheduler s = scheduler(Duration.ofNanos(2 * HOST_NANOS), a, b, c, d);
    s.admit(job(1, a, FAR, 0));
    s.admit(job(2, b, FAR + 1, 0));
    s.admit(job(3, c, FAR + 2, 0));
    s.admit(job(4, d, FAR + 3, 0));
    List<PlannedLaunch> first = s.plan(0);
    assertEquals(2, first.size(), "two launches book the path 2 us ahead, the limit");
    assertEquals(2 * HOST_NANOS, s.launchPathBacklogNanos(0));
    assertEquals(1, s.holdWakeNanos(), "plans again as soon as the path is below the limit");
    List<PlannedLaunch> second = s.plan(1);
    assertEquals(List.of(3L), jobIds(second.get(0)));
    assertEquals(1, second.size());
    assertEquals(1 + HOST_NANOS, s.holdWakeNanos());
  }

  @Test
  void withoutALimitEveryFreeSlotIsUsedAtOnce() {
    KernelPlan a = chain("a", 2, K1);
    KernelPlan b = chain("b", 2, K2);
    KernelPlan c = chain("c", 2, null);
    SpaceTimeScheduler s = scheduler(Duration.ZERO, a, b, c);
    s.admit(job(1, a, FAR, 0));
    s.admit(job(2, b, FAR + 1, 0));
    s.admit(job(3, c, FAR + 2, 0));
    assertEquals(3, s.plan(0).size());
    assertEquals(Long.MAX_VALUE, s.holdWakeNanos());
  }

  @Test
  void anOpReadyWhileThePathIsBookedJoinsTheWaitingOneOfItsKey() {
    KernelPlan a = chain("a", 2, K2);
    KernelPlan d = chain("d", 2, null);
    KernelPlan b = chain("b", 2, K1);
    KernelPlan c = chain("c", 2, K1);
    SpaceTimeScheduler s = scheduler(Duration.ofNanos(1_500), a, d, b, c);
    s.admit(job(1, a, FAR, 0));
    s.admit(job(4, d, FAR + 1, 0));
    s.admit(job(2, b, FAR + 2, 0));
    assertEquals(2, s.plan(0).size(), "jobs 1 and 4 book the path until 2000");
    assertEquals(501, s.holdWakeNanos());
    s.admit(job(3, c, FAR + 3, 500));
    assertEquals(List.of(), s.plan(500), "booked 1500 ahead: the limit");
    List<PlannedLaunch> later = s.plan(501);
    assertEquals(1, later.size());
    assertEquals(List.of(2L, 3L), jobIds(later.get(0)), "fused instead of queued one after the other");
  }

  @Test
  void whileThePathIsTheBottleneckTheLargestGroupGoesFirstIfTheMostUrgentOpCanWait() {
    KernelPlan a = chain("a", 2, K2);
    KernelPlan b = chain("b", 2, K1);
    KernelPlan c = chain("c", 2, K1);
    SpaceTimeScheduler s = scheduler(Duration.ofNanos(1), a, b, c);
    s.admit(job(1, a, FAR, 0));
    s.admit(job(2, b, FAR + 1, 0));
    s.admit(job(3, c, FAR + 2, 0));
    List<PlannedLaunch> first = s.plan(0);
    assertEquals(1, first.size(), "one launch books the path");
    assertEquals(List.of(2L, 3L), jobIds(first.get(0)), "two kernels for the host time of one launch");
    List<PlannedLaunch> second = s.plan(s.holdWakeNanos());
    assertEquals(List.of(1L), jobIds(second.get(0)), "the passed-over op goes next");
  }

  @Test
  void theMostUrgentOpGoesFirstWhenItCannotAffordToWait() {
    KernelPlan a = chain("a", 2, K2);
    KernelPlan b = chain("b", 2, K1);
    KernelPlan c = chain("c", 2, K1);
    SpaceTimeScheduler s = scheduler(Duration.ofNanos(1), a, b, c);
    // two ops of 10 us left: its latest start is 4 us away, within WAIT_LAUNCHES super-kernel
    // launches (2 us of host time each here) per op it has left
    long tight = 2 * 10_000 + 4_000;
    assertEquals(8_000, SpaceTimePolicy.WAIT_LAUNCHES * 2 * 2 * HOST_NANOS, "the margin this test sits inside");
    s.admit(job(1, a, tight, 0));
    s.admit(job(2, b, FAR + 1, 0));
    s.admit(job(3, c, FAR + 2, 0));
    assertEquals(List.of(1L), jobIds(s.plan(0).get(0)));
  }
}
