package dev.braid.gpu.sched;

import static dev.braid.gpu.sched.TestPlans.K1;
import static dev.braid.gpu.sched.TestPlans.K2;
import static dev.braid.gpu.sched.TestPlans.chain;
import static dev.braid.gpu.sched.TestPlans.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.plan.KernelPlan;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Jobs leave exactly once, finished or failed with a reason; policies cannot break the rules. */
class SchedulerLifecycleTest {
  static final KernelPlan A = chain("a", 2, K1);
  static final KernelPlan B = chain("b", 2, K1);
  static final KernelPlan C = chain("c", 2, K2);

  static SpaceTimeScheduler spaceTime() {
    return new SpaceTimeScheduler(TestPlans.config(2, 1, Duration.ofSeconds(1)), TestPlans.gpuCost(1_000, A, B, C),
        SchedulingPolicies.named("space-time"));
  }

  @Test
  void failedLaunchFailsEveryJobInItWithItsReasonAndFreesTheStream() {
    SpaceTimeScheduler s = spaceTime();
    s.admit(job(1, A, 10_000, 0));
    s.admit(job(2, B, 10_000, 0));
    PlannedLaunch fused = s.plan(0).get(0);
    assertEquals(2, fused.ops().size());
    Settled settled = s.failed(fused.launchId(), FailureReason.DEVICE_FAILED);
    assertEquals(List.of(), settled.finished());
    assertEquals(List.of(new FailedJob(fused.ops().get(0).job(), 0, FailureReason.DEVICE_FAILED),
        new FailedJob(fused.ops().get(1).job(), 0, FailureReason.DEVICE_FAILED)), settled.failed());
    assertEquals(0, s.jobCount());
    assertEquals(List.of(), s.launchesInFlight());
    s.admit(job(3, C, 10_000, 0));
    assertEquals(0, s.plan(1).get(0).stream(), "the urgent stream is free again");
  }

  @Test
  void jobFinishesOnlyWhenItsLastOpCompletes() {
    SpaceTimeScheduler s = spaceTime();
    s.admit(job(1, A, 10_000, 0));
    PlannedLaunch first = s.plan(0).get(0);
    assertEquals(List.of(), s.plan(0), "one op in flight per job");
    assertEquals(List.of(), s.completed(first.launchId(), 1_000).finished());
    assertEquals(OptionalInt.of(1), s.nextOpIndex(1));
    PlannedLaunch second = s.plan(1_000).get(0);
    assertEquals(1, second.ops().get(0).opIndex());
    assertEquals(List.of(1L), s.completed(second.launchId(), 2_000).finished().stream().map(Job::id).toList());
    assertEquals(OptionalInt.empty(), s.nextOpIndex(1));
    assertThrows(IllegalArgumentException.class, () -> s.completed(second.launchId(), 2_000), "settles once");
  }

  @Test
  void cancellingAWaitingJobFailsItAtOnce() {
    SpaceTimeScheduler s = spaceTime();
    s.admit(job(1, A, 10_000, 0));
    assertEquals(Optional.of(new FailedJob(job(1, A, 10_000, 0), 0, FailureReason.CANCELLED)), s.cancel(1));
    assertEquals(Optional.empty(), s.cancel(1), "reported once");
    assertEquals(List.of(), s.plan(0));
  }

  @Test
  void cancellingARunningJobReportsItWhenItsLaunchSettlesAndSparesTheOthers() {
    SpaceTimeScheduler s = spaceTime();
    s.admit(job(1, A, 10_000, 0));
    s.admit(job(2, B, 10_000, 0));
    PlannedLaunch fused = s.plan(0).get(0);
    assertEquals(Optional.empty(), s.cancel(1));
    Settled settled = s.completed(fused.launchId(), 1_000);
    assertEquals(1, settled.failed().size());
    assertEquals(1L, settled.failed().get(0).job().id());
    assertEquals(FailureReason.CANCELLED, settled.failed().get(0).reason());
    assertEquals(OptionalInt.of(1), s.nextOpIndex(2));
    assertEquals(1, s.jobCount());
  }

  @Test
  void expireFailsWaitingJobsPastTheirDeadlineAsTooLateAndLeavesRunningOnes() {
    SpaceTimeScheduler s = spaceTime();
    s.admit(job(1, C, 500, 0));
    PlannedLaunch running = s.plan(0).get(0);
    s.admit(job(2, A, 900, 10));
    s.admit(job(3, B, 5_000, 10));
    List<FailedJob> expired = s.expire(900);
    assertEquals(List.of(new FailedJob(job(2, A, 900, 10), 0, FailureReason.TOO_LATE)), expired);
    assertEquals(2, s.jobCount());
    assertEquals(OptionalInt.of(0), s.nextOpIndex(1), "job 1 is overdue but its op is in flight");
    s.completed(running.launchId(), 1_000);
    assertEquals(List.of(1L, 3L), s.expire(5_000).stream().map(f -> f.job().id()).toList());
  }

  @ParameterizedTest
  @MethodSource("policies")
  void aJobThatCannotFinishByItsDeadlineEvenAloneIsFailedTooLateBeforeAnyDeviceTimeIsSpent(String policy) {
    // every op takes 1 000 ns, so A and B need 2 000 ns of work from op 0
    SpaceTimeScheduler s = new SpaceTimeScheduler(TestPlans.config(2, 1, Duration.ofSeconds(1)),
        TestPlans.gpuCost(1_000, A, B, C), SchedulingPolicies.named(policy));
    s.admit(job(1, A, 1_999, 0)); // 1 ns short: hopeless although its deadline is still ahead
    s.admit(job(2, B, 2_000, 0)); // exactly enough when started now: kept
    assertEquals(List.of(new FailedJob(job(1, A, 1_999, 0), 0, FailureReason.TOO_LATE)), s.expire(0));
    List<PlannedLaunch> planned = s.plan(0);
    assertEquals(List.of(2L), planned.stream().flatMap(l -> l.ops().stream()).map(o -> o.job().id()).toList(),
        policy + " never launches the hopeless job");
    s.completed(planned.get(0).launchId(), 1_000);
    assertEquals(List.of(), s.expire(1_000), "one op left, 1 000 ns to do it in");
    assertEquals(1, s.jobCount());
  }

  @Test
  void aJobThatFallsBehindBetweenItsOpsIsFailedTooLateOnceItsLatestStartHasPassed() {
    SpaceTimeScheduler s = spaceTime();
    s.admit(job(1, A, 2_500, 0));
    PlannedLaunch first = s.plan(0).get(0);
    s.completed(first.launchId(), 1_600); // ran 600 ns slower than predicted
    assertEquals(List.of(), s.expire(1_500 - 1), "latest start of op 1 is 2 500 - 1 000 = 1 500");
    assertEquals(List.of(), s.expire(1_500));
    assertEquals(List.of(new FailedJob(job(1, A, 2_500, 0), 1, FailureReason.TOO_LATE)), s.expire(1_600));
    assertEquals(List.of(), s.plan(1_600));
  }

  static List<String> policies() {
    return SchedulingPolicies.NAMES;
  }

  @Test
  void rejectsPolicyDecisionsThatBreakTheInvariants() {
    assertRogue(v -> List.of(new Decision(v.readyOps(), 0)), "equal fusion keys"); // K1 with K2
    assertRogue(v -> List.of(Decision.single(v.readyOps().get(0), 0), Decision.single(v.readyOps().get(0), 1)),
        "used twice");
    assertRogue(v -> List.of(Decision.single(v.readyOps().get(0), 0), Decision.single(v.readyOps().get(1), 0)),
        "no free slot");
    assertRogue(v -> List.of(Decision.single(new OpRef(v.readyOps().get(0).job(), 1), 0)), "not a ready op");
  }

  private static void assertRogue(Function<SchedulingView, List<Decision>> decide, String message) {
    SpaceTimeScheduler s = new SpaceTimeScheduler(TestPlans.config(2, 1, Duration.ofSeconds(1)),
        TestPlans.gpuCost(1_000, A, C), new SchedulingPolicy() {
          @Override
          public String name() {
            return "rogue";
          }

          @Override
          public List<Decision> decide(SchedulingView view) {
            return decide.apply(view);
          }
        });
    s.admit(job(1, A, 10_000, 0));
    s.admit(job(2, C, 10_000, 0));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.plan(0));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertEquals(List.of(), s.launchesInFlight(), "nothing recorded from a rejected decision");
  }

  @Test
  void admittingAJobTwiceIsAnError() {
    SpaceTimeScheduler s = spaceTime();
    s.admit(job(1, A, 10_000, 0));
    assertThrows(IllegalArgumentException.class, () -> s.admit(job(1, B, 10_000, 0)));
  }

  @Test
  void unknownPolicyNameListsTheValidNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SchedulingPolicies.named("edf"));
    assertEquals("unknown scheduling policy 'edf'; valid: time-only, space-only, space-time, fifo", e.getMessage());
    for (String name : SchedulingPolicies.NAMES) {
      assertEquals(name, SchedulingPolicies.named(name).name());
    }
  }

  @Test
  void configErrorsNameTheFieldAndTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SchedulerConfig(List.of(0), 0, Optional.empty(), 1, 2, Duration.ZERO));
    assertEquals("maxOpsPerSuperKernel must be >= 1, got 0", e.getMessage());
    assertEquals(List.of(1, 2, 0), new SchedulerConfig(List.of(0, -2, -1), 1, Optional.empty(), 1, 1, Duration.ZERO)
        .streamsByPriority());
  }
}
