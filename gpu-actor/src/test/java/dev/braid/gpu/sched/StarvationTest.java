package dev.braid.gpu.sched;

import static dev.braid.gpu.sched.TestPlans.K1;
import static dev.braid.gpu.sched.TestPlans.K2;
import static dev.braid.gpu.sched.TestPlans.chain;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.plan.KernelPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One stream saturated by urgent single-op jobs of model A (one every 1 us, each 1 us long) and
 * one lax 3-op job of model B. The bound: B finishes by its admission + the aging threshold + (its
 * ops + 1) x the op time (the +1 is the launch in flight when B ages). Without aging B waits for
 * the whole A stream, so the bound is not met by accident.
 */
class StarvationTest {
  static final long OP_NANOS = 1_000;
  static final int A_JOBS = 200;
  static final long B_ADMITTED = 500;
  static final KernelPlan A = chain("a", 1, K1);
  static final KernelPlan B = chain("b", 3, K2);

  static long bFinishedAt(String policy, Duration aging) {
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < A_JOBS; i++) {
      jobs.add(new Job(i, A, OP_NANOS * i + 3 * OP_NANOS, 0, OP_NANOS * i));
    }
    jobs.add(new Job(1_000, B, 10_000_000_000L, 1, B_ADMITTED));
    SchedulerConfig oneStream = new SchedulerConfig(List.of(0), 16, java.util.Optional.of(TestPlans.GPU), 1, 2, aging);
    SpaceTimeScheduler s = new SpaceTimeScheduler(oneStream, TestPlans.gpuCost(OP_NANOS, A, B),
        SchedulingPolicies.named(policy));
    return new DeviceLoop(s).run(jobs).finishedAtNanos.get(1_000L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"time-only", "space-only", "space-time"})
  void laxJobFinishesWithinAgingPlusItsOwnWorkUnderSustainedUrgentLoad(String policy) {
    Duration aging = Duration.ofNanos(20_000);
    long bound = B_ADMITTED + aging.toNanos() + (B.size() + 1) * OP_NANOS;
    long finished = bFinishedAt(policy, aging);
    assertTrue(finished <= bound, policy + ": B finished at " + finished + " ns, bound " + bound);
  }

  @ParameterizedTest
  @ValueSource(strings = {"time-only", "space-only", "space-time"})
  void withoutAgingTheLaxJobWaitsForTheWholeUrgentStream(String policy) {
    long finished = bFinishedAt(policy, Duration.ofHours(1));
    assertTrue(finished >= A_JOBS * OP_NANOS, policy + ": B finished at " + finished + " ns");
  }
}
