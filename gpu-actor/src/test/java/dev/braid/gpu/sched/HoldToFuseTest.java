package dev.braid.gpu.sched;

import static dev.braid.gpu.sched.TestPlans.GPU;
import static dev.braid.gpu.sched.TestPlans.K1;
import static dev.braid.gpu.sched.TestPlans.K2;
import static dev.braid.gpu.sched.TestPlans.chain;
import static dev.braid.gpu.sched.TestPlans.job;
import static dev.braid.gpu.sched.TestPlans.op;
import static dev.braid.gpu.sched.TestPlans.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.plan.FusionKey;
import dev.braid.device.plan.KernelFamily;
import dev.braid.device.plan.KernelPlan;
import dev.braid.model.DType;
import dev.braid.gpu.cost.CostModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Hold to fuse ({@link HoldRule}) and the filled launch path of {@link SpaceTimePolicy}. */
class HoldToFuseTest {
  static final long FAR = 1_000_000_000L;

  static SchedulerConfig config(int streams, Duration maxHold) {
    return TestPlans.config(streams, 1, Duration.ofSeconds(1)).withMaxHold(maxHold);
  }

  static SpaceTimeScheduler scheduler(SchedulerConfig config, long opNanos, KernelPlan... plans) {
    return new SpaceTimeScheduler(config, TestPlans.gpuCost(opNanos, plans), SchedulingPolicies.named("space-time"));
  }

  static List<Long> jobIds(PlannedLaunch l) {
    return l.ops().stream().map(o -> o.job().id()).toList();
  }

  @Test
  void holdsAReadyOpForThePartnerWhoseOpIsInFlightAndFusesWhenItArrives() {
    KernelPlan a = plan("a", op(K1, 1));
    KernelPlan b = plan("b", op(K2, 1), op(K1, 1));
    SpaceTimeScheduler s = scheduler(config(4, Duration.ofNanos(5_000)), 1_000, a, b);
    s.admit(job(2, b, FAR, 0));
    PlannedLaunch bFirst = s.plan(0).get(0);
    s.admit(job(1, a, FAR - 1, 400));
    assertEquals(List.of(), s.plan(400), "a waits: b's next op has its key and comes at 1000");
    assertEquals(1_000, s.holdWakeNanos());
    s.completed(bFirst.launchId(), 1_000);
    List<PlannedLaunch> fused = s.plan(1_000);
    assertEquals(1, fused.size());
    assertEquals(List.of(1L, 2L), jobIds(fused.get(0)));
    assertEquals(Long.MAX_VALUE, s.holdWakeNanos());
  }

  @Test
  void neverHoldsWhenNoPartnerCanCome() {
    KernelPlan a = plan("a", op(K1, 1));
    KernelPlan b = plan("b", op(K2, 1), op(K2, 1), op(null, 1));
    SpaceTimeScheduler s = scheduler(config(4, Duration.ofNanos(50_000)), 1_000, a, b);
    s.admit(job(2, b, FAR, 0));
    s.plan(0);
    s.admit(job(1, a, FAR, 400));
    List<PlannedLaunch> now = s.plan(400);
    assertEquals(List.of(1L), jobIds(now.get(0)), "no job will reach a K1 op: a launches at once");
    assertEquals(Long.MAX_VALUE, s.holdWakeNanos());
  }

  @Test
  void neverHoldsPastMaxHoldCountedFromWhenTheOpBecameReady() {
    KernelPlan a = plan("a", op(K1, 1));
    KernelPlan b = plan("b", op(K2, 1), op(K1, 1));
    // b's K1 op comes at 1000; a became ready at 0; a hold may last 800 ns: a cannot wait for it.
    SpaceTimeScheduler s = scheduler(config(4, Duration.ofNanos(800)), 1_000, a, b);
    s.admit(job(1, a, FAR, 0));
    s.admit(job(2, b, FAR, 0));
    List<PlannedLaunch> launches = s.plan(0);
    assertEquals(2, launches.size());
    assertEquals(Long.MAX_VALUE, s.holdWakeNanos());

    // The same partner, 1200 ns allowed: held until 1000. b's op runs late: asked again at 1100
    // (another event) a is held until just after now, but the bound still counts from 0, so at
    // 1200 a launches alone.
    SpaceTimeScheduler t = scheduler(config(4, Duration.ofNanos(1_200)), 1_000, a, b);
    t.admit(job(1, a, FAR, 0));
    t.admit(job(2, b, FAR, 0));
    List<PlannedLaunch> first = t.plan(0);
    assertEquals(List.of(List.of(2L)), first.stream().map(HoldToFuseTest::jobIds).toList());
    assertEquals(1_000, t.holdWakeNanos());
    assertEquals(List.of(), t.plan(1_100));
    assertEquals(1_101, t.holdWakeNanos());
    assertEquals(List.of(List.of(1L)), t.plan(1_200).stream().map(HoldToFuseTest::jobIds).toList());
    assertEquals(Long.MAX_VALUE, t.holdWakeNanos());
  }

  @Test
  void neverHoldsAJobWhoseDeadlineTheWaitWouldCost() {
    KernelPlan a = plan("a", op(K1, 1), op(null, 1));
    KernelPlan b = plan("b", op(K2, 1), op(K1, 1));
    SpaceTimeScheduler s = scheduler(config(4, Duration.ofNanos(50_000)), 1_000, a, b);
    s.admit(job(2, b, FAR, 0));
    s.plan(0);
    // a alone: 2 ops = 2000 ns from 0, deadline 2500: waiting until 1000 would end at 3000.
    s.admit(job(1, a, 2_500, 0));
    List<PlannedLaunch> now = s.plan(0);
    assertEquals(List.of(1L), jobIds(now.get(0)));
    assertEquals(Long.MAX_VALUE, s.holdWakeNanos());

    // A hold spends at most half of the slack: ending at 2000 needs 2000 <= 0 + (D - 1000) / 2,
    // so a deadline of 4999 launches now and one of 5000 is held.
    for (long deadline : new long[] {4_999, 5_000}) {
      SpaceTimeScheduler t = scheduler(config(4, Duration.ofNanos(50_000)), 1_000, a, b);
      t.admit(job(2, b, FAR, 0));
      t.plan(0);
      t.admit(job(1, a, deadline, 0));
      assertEquals(deadline == 5_000 ? 0 : 1, t.plan(0).size());
      assertEquals(deadline == 5_000 ? 1_000 : Long.MAX_VALUE, t.holdWakeNanos());
    }
  }

  @Test
  void aJobAheadWaitsForAnInstanceOfItsArchitectureOneOpBehindAndTheyRunInStepAfter() {
    FusionKey[] layer = new FusionKey[4];
    for (int i = 0; i < 4; i++) {
      layer[i] = new FusionKey(KernelFamily.GEMM, DType.FLOAT32, "layer" + i);
    }
    KernelPlan a = plan("a#0", op(layer[0], 1), op(layer[1], 1), op(layer[2], 1), op(layer[3], 1));
    KernelPlan b = plan("a#1", op(layer[0], 1), op(layer[1], 1), op(layer[2], 1), op(layer[3], 1));
    SpaceTimeScheduler s = scheduler(config(4, Duration.ofNanos(5_000)), 1_000, a, b);
    DeviceLoop loop = new DeviceLoop(s).run(List.of(job(1, a, FAR, 0), job(2, b, FAR, 500)));
    // a's op 0 runs alone at 0, b's at 500; at 1000 a's op 1 waits for b's (ready at 1500), then
    // both run ops 1 to 3 as super-kernels: 5 launches instead of 8.
    List<String> shape = loop.runs.stream().map(r -> r.startNanos() + ":" + jobIds(r.launch())).toList();
    assertEquals(List.of("0:[1]", "500:[2]", "1500:[1, 2]", "2500:[1, 2]", "3500:[1, 2]"), shape);
  }

  @Test
  void theLaunchPathIsFilledWheneverReadyWorkIsNotHeld() {
    // Six ready ops of keys no one else reaches again and four streams: all four slots are used.
    List<KernelPlan> plans = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      plans.add(plan("m" + i, op(i % 2 == 0 ? K1 : K2, 20), op(null, 1)));
    }
    SpaceTimeScheduler s = scheduler(config(4, Duration.ofNanos(50_000)), 1_000, plans.toArray(KernelPlan[]::new));
    for (int i = 0; i < 6; i++) {
      s.admit(job(i, plans.get(i), FAR + i, 0));
    }
    // 20-block grids: two of a key fill a 32-block wave, so the six form at least three groups.
    List<PlannedLaunch> launches = s.plan(0);
    assertEquals(Long.MAX_VALUE, s.holdWakeNanos(), "nobody reaches K1 or K2 again: nothing held");
    assertEquals(6, launches.stream().mapToInt(l -> l.ops().size()).sum(), "every ready op launched");
    assertTrue(launches.size() <= 4);

    // More groups than slots: every slot is taken.
    List<KernelPlan> many = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      many.add(plan("n" + i, op(null, 1)));
    }
    SpaceTimeScheduler t = scheduler(config(3, Duration.ofNanos(50_000)), 1_000, many.toArray(KernelPlan[]::new));
    for (int i = 0; i < 8; i++) {
      t.admit(job(i, many.get(i), FAR + i, 0));
    }
    assertEquals(3, t.plan(0).size());
  }

  @Test
  void heldOpsLeaveTheirSlotToOtherReadyWork() {
    KernelPlan a = plan("a", op(K1, 1));
    KernelPlan b = plan("b", op(K2, 1), op(K1, 1));
    KernelPlan c = plan("c", op(null, 1));
    SpaceTimeScheduler s = scheduler(config(2, Duration.ofNanos(5_000)), 1_000, a, b, c);
    s.admit(job(2, b, FAR, 0));
    s.plan(0);
    s.admit(job(1, a, FAR - 1, 100));
    s.admit(job(3, c, FAR, 100));
    List<PlannedLaunch> launches = s.plan(100);
    assertEquals(List.of(List.of(3L)), launches.stream().map(HoldToFuseTest::jobIds).toList(),
        "a (more urgent) is held, c takes the free slot");
  }

  @Test
  void theSchedulerRefusesAHoldPastTheBoundOrWithoutAKey() {
    KernelPlan a = plan("a", op(K1, 1));
    KernelPlan u = plan("u", op(null, 1));
    CostModel cost = TestPlans.gpuCost(1_000, a, u);
    SchedulingPolicy tooLong = new SchedulingPolicy() {
      public String name() {
        return "too-long";
      }

      public List<Decision> decide(SchedulingView view) {
        return List.of(Decision.hold(List.of(view.readyOps().get(0)), view.nowNanos() + 2_001));
      }
    };
    SpaceTimeScheduler s = new SpaceTimeScheduler(config(1, Duration.ofNanos(2_000)), cost, tooLong);
    s.admit(job(1, a, FAR, 0));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.plan(0));
    assertTrue(e.getMessage().contains("may be held until 2000 at most"), e.getMessage());

    SchedulingPolicy noKey = new SchedulingPolicy() {
      public String name() {
        return "no-key";
      }

      public List<Decision> decide(SchedulingView view) {
        return List.of(Decision.hold(List.of(view.readyOps().get(0)), view.nowNanos() + 1));
      }
    };
    SpaceTimeScheduler t = new SpaceTimeScheduler(config(1, Duration.ofNanos(2_000)), cost, noKey);
    t.admit(job(1, u, FAR, 0));
    assertThrows(IllegalStateException.class, () -> t.plan(0));

    SpaceTimeScheduler off = new SpaceTimeScheduler(config(1, Duration.ZERO), cost, noKey);
    off.admit(job(1, a, FAR, 0));
    assertThrows(IllegalStateException.class, () -> off.plan(0), "no hold while holding is off");
  }

  @Test
  void withHoldingOffNothingIsHeld() {
    KernelPlan a = chain("a", 1, K1);
    KernelPlan b = plan("b", op(K2, 1), op(K1, 1));
    SpaceTimeScheduler s = scheduler(config(4, Duration.ZERO), 1_000, a, b);
    s.admit(job(2, b, FAR, 0));
    s.plan(0);
    s.admit(job(1, a, FAR, 400));
    assertEquals(1, s.plan(400).size());
    assertEquals(0, s.holds());
  }

  static CostModel exactCost(long overheadNanos, List<KernelPlan> plans, long[][] opNanos) {
    CostModel cost = new CostModel(Optional.of(GPU), Duration.ofNanos(overheadNanos));
    for (int p = 0; p < plans.size(); p++) {
      for (int i = 0; i < plans.get(p).size(); i++) {
        cost.record(plans.get(p).model(), 1, i, opNanos[p][i]);
      }
    }
    return cost;
  }
}
