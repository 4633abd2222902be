package dev.braid.gpu.sched;

import static dev.braid.gpu.sched.TestPlans.GPU;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.kernel.Gemm;
import dev.braid.device.plan.FusionKey;
import dev.braid.device.plan.KernelFamily;
import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import dev.braid.device.plan.LaunchGeometry;
import dev.braid.gpu.cost.CostModel;
import dev.braid.model.DType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The hold rule never makes a job miss a deadline it would meet without it, over seeded random
 * workloads: each is run twice through {@link DeviceLoop} with the same exact cost model (every
 * launch takes the model's predicted time), holding off and on, expiring late jobs as the engine
 * does.
 *
 * <p>What "would meet" means: the run without holding, on a device where every launch takes
 * exactly its predicted time and has a stream slot the moment it is ready (as many streams as
 * jobs). There, a job meets its deadline exactly when it could running alone from its admission
 * (the premise is checked too: super-kernels never finish a member sooner than it runs alone, and
 * the sizer admits no member that the group would make late). The property asserted is then
 * exactly the hold rule's promise: every job that meets its deadline without holding meets it with
 * holding. With fewer slots than ready work the promise is per decision (a held job could still
 * meet its deadline if launched at the hold's end) but not global, because any change of order
 * under contention moves other jobs too; that case is measured by the benchmark instead.
 */
class HoldPropertyTest {
  static final int SEEDS = 300;

  record Workload(List<KernelPlan> plans, CostModel cost, List<Job> jobs, Duration maxHold) {}

  /**
   * Two to four architectures of 2 to 8 ops, each op one of four keys (or none) with 1 to 12
   * blocks and 300 to 3000 ns; two instances of each (separate plans with the same ops); 10 to 30
   * jobs arriving over 8 us with deadlines 0.8x to 4x of their time alone; holds of 0.5 to 8 us
   * and a launch overhead of 0 or 200 ns.
   */
  static Workload workload(long seed) {
    Random r = new Random(seed);
    FusionKey[] keys = new FusionKey[4];
    for (int k = 0; k < keys.length; k++) {
      keys[k] = new FusionKey(KernelFamily.GEMM, DType.FLOAT32, "k" + k);
    }
    long overhead = r.nextBoolean() ? 0 : 200;
    CostModel cost = new CostModel(Optional.of(GPU), Duration.ofNanos(overhead));
    List<KernelPlan> plans = new ArrayList<>();
    int archs = 2 + r.nextInt(3);
    for (int a = 0; a < archs; a++) {
      int n = 2 + r.nextInt(7);
      int[] key = new int[n];
      int[] blocks = new int[n];
      long[] nanos = new long[n];
      for (int i = 0; i < n; i++) {
        key[i] = r.nextInt(keys.length + 1) - 1;
        blocks[i] = 1 + r.nextInt(12);
        nanos[i] = overhead + 300 + r.nextInt(2700);
      }
      for (int inst = 0; inst < 2; inst++) {
        String model = "arch" + a + "#" + inst;
        List<KernelOp> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          ops.add(new KernelOp(i, model + "/n" + i, Gemm.of(16, 16, 16), i == 0 ? List.of() : List.of(i - 1),
              new LaunchGeometry(blocks[i], 256, 32, 0), Optional.ofNullable(key[i] < 0 ? null : keys[key[i]])));
          cost.record(model, 1, i, nanos[i]);
        }
        plans.add(new KernelPlan(model, 1, ops));
      }
    }
    List<Job> jobs = new ArrayList<>();
    int count = 10 + r.nextInt(21);
    for (int j = 0; j < count; j++) {
      KernelPlan p = plans.get(r.nextInt(plans.size()));
      long arrival = r.nextInt(8_000);
      long alone = cost.predictRemainingNanos(p, 0);
      long deadline = arrival + Math.round(alone * (0.8 + 3.2 * r.nextDouble()));
      jobs.add(new Job(j, p, deadline, 0, arrival));
    }
    return new Workload(plans, cost, jobs, Duration.ofNanos(500 + r.nextInt(7_500)));
  }

  static DeviceLoop run(Workload w, Duration maxHold) {
    SchedulerConfig config = new SchedulerConfig(Collections.nCopies(w.jobs().size(), 0), 16, Optional.of(GPU), 1,
        2.0, Duration.ofSeconds(1), maxHold);
    SpaceTimeScheduler s = new SpaceTimeScheduler(config, w.cost(), SchedulingPolicies.named("space-time"));
    return new DeviceLoop(s).expiring().run(w.jobs());
  }

  static boolean met(DeviceLoop loop, Job j) {
    Long at = loop.finishedAtNanos.get(j.id());
    return at != null && at <= j.deadlineNanos();
  }

  @Test
  void holdingNeverMakesAJobMissADeadlineItWouldMeetWithoutIt() {
    long held = 0;
    long metOff = 0;
    long launchesOff = 0;
    long launchesOn = 0;
    for (long seed = 1; seed <= SEEDS; seed++) {
      Workload w = workload(seed);
      DeviceLoop off = run(w, Duration.ZERO);
      DeviceLoop on = run(w, w.maxHold());
      held += on.scheduler.holds();
      launchesOff += off.runs.size();
      launchesOn += on.runs.size();
      for (Job j : w.jobs()) {
        boolean aloneMeets = j.admittedNanos() + w.cost().predictRemainingNanos(j.plan(), 0) <= j.deadlineNanos();
        assertEquals(aloneMeets, met(off, j), "seed " + seed + ", job " + j.id() + ": premise, without holding a"
            + " job meets its deadline exactly when it would alone");
        if (met(off, j)) {
          metOff++;
          assertTrue(met(on, j), "seed " + seed + ", job " + j.id() + " (" + j.model() + ", deadline "
              + j.deadlineNanos() + ") met its deadline without holding but finished at "
              + on.finishedAtNanos.get(j.id()) + " (expired at " + on.expiredAtNanos.get(j.id()) + ") with it");
        }
      }
      for (long wait : on.readyToStartNanos) {
        assertTrue(wait <= w.maxHold().toNanos(), "seed " + seed + ": an op waited " + wait
            + " ns from ready to start with a free slot, more than max-hold " + w.maxHold());
      }
    }
    // Not vacuous: holds happened, they saved launches, and many deadlines were at stake.
    assertTrue(held > SEEDS, "ops held over all seeds: " + held);
    assertTrue(launchesOn < launchesOff, "launches with holding " + launchesOn + ", without " + launchesOff);
    assertTrue(metOff > SEEDS * 5L, "jobs meeting their deadline without holding: " + metOff);
  }

  @Test
  void holdingOffLeavesTheScheduleAsItWas() {
    // Sanity of the comparison: maxHold zero is exactly the policy without holds.
    for (long seed = 1; seed <= 20; seed++) {
      Workload w = workload(seed);
      assertEquals(run(w, Duration.ZERO).trace(), run(w, Duration.ZERO).trace());
      assertEquals(0, run(w, Duration.ZERO).scheduler.holds());
    }
  }
}
