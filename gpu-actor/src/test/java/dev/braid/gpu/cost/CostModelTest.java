package dev.braid.gpu.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.GpuSpec;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import dev.braid.device.plan.LaunchGeometry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CostModelTest {
  /** 4 SMs; 4 GFLOP/s and 4 GB/s in all, so one SM does 1 FLOP or moves 1 byte per ns. */
  static final GpuSpec GPU = new GpuSpec(4, 2048, 8, 65536, 100_000, 4e9, 4e9, 128, 1_000_000_000L);

  /** A plan of Gemm ops M=N=K=16 (8192 FLOPs, 3072 bytes) with the given grid sizes. */
  static KernelPlan plan(String model, int... blocks) {
    KernelOp[] ops = new KernelOp[blocks.length];
    for (int i = 0; i < blocks.length; i++) {
      ops[i] = new KernelOp(i, "n" + i, Gemm.of(16, 16, 16), List.of(), new LaunchGeometry(blocks[i], 256, 32, 0),
          Optional.empty());
    }
    return new KernelPlan(model, 1, List.of(ops));
  }

  static CostModel gpu(long overheadNanos) {
    return new CostModel(Optional.of(GPU), Duration.ofNanos(overheadNanos));
  }

  @Test
  void unmeasuredGpuOpCostsTheBusiestSmsShareOfTheRooflinePlusOverhead() {
    // 8192 FLOPs over 4 blocks: one block per SM, 2048 FLOPs at 1 FLOP/ns each = 2048 ns.
    assertEquals(100 + 2_048, gpu(100).predictOpNanos(plan("m", 4), 0));
    // 5 blocks on 4 SMs: the busiest SM runs two blocks of 8192/5 FLOPs, 2 * 1638.4 ns (wave
    // quantization: 25% more blocks, 60% more time).
    assertEquals(100 + 3_277, gpu(100).predictOpNanos(plan("m", 5), 0));
  }

  @Test
  void unmeasuredCpuOpCostsAConservativeSingleCoreRoofline() {
    // 8192 FLOPs at 2 GFLOP/s = 4096 ns; 3072 bytes at 5 GB/s = 615 ns: compute-bound.
    CostModel cpu = new CostModel(Optional.empty(), Duration.ZERO);
    assertEquals(4_096, cpu.predictOpNanos(plan("m", 1), 0));
  }

  @Test
  void measurementReplacesTheRooflineAndLaterSamplesMoveItAQuarterOfTheWay() {
    CostModel c = gpu(0);
    KernelPlan p = plan("m", 4, 4);
    c.record("m", 1, 1, 1_000);
    assertEquals(1_000, c.predictOpNanos(p, 1));
    c.record("m", 1, 1, 2_000);
    assertEquals(OptionalLong.of(1_250), c.measuredNanos("m", 1, 1));
    assertEquals(OptionalLong.empty(), c.measuredNanos("m", 2, 1), "batch sizes are kept apart");
    assertEquals(2_048 + 1_250, c.predictRemainingNanos(p, 0));
    assertEquals(1_250, c.predictRemainingNanos(p, 1));
    assertEquals(0, c.predictRemainingNanos(p, 2));
    assertEquals(500 + 300 + 1_250, c.predictFinishNanos(500, p, 1, 300));
    assertThrows(IllegalArgumentException.class, () -> c.record("m", 1, 0, -1));
  }

  @Test
  void smallGridsGroupForThePriceOfTheLongestMember() {
    CostModel c = gpu(100);
    KernelPlan a = plan("a", 1);
    KernelPlan b = plan("b", 1);
    c.record("a", 1, 0, 1_100);
    c.record("b", 1, 0, 900);
    // Each fills 1 of 4 SMs: occupied time 250 + 200 < longest body 1000.
    assertEquals(100 + 1_000, c.predictGroupNanos(List.of(new PlanOp(a, 0), new PlanOp(b, 0))));
  }

  @Test
  void fullGridsGroupForTheSumOfTheirBodiesAndOneOverhead() {
    CostModel c = gpu(100);
    KernelPlan a = plan("a", 8);
    KernelPlan b = plan("b", 4);
    c.record("a", 1, 0, 1_100);
    c.record("b", 1, 0, 600);
    assertEquals(100 + 1_000 + 500, c.predictGroupNanos(List.of(new PlanOp(a, 0), new PlanOp(b, 0))));
    assertEquals(1_100, c.predictGroupNanos(List.of(new PlanOp(a, 0))), "a group of one costs the op");
  }

  @Test
  void aGrowingGroupEstimatePricesAsTheWholeGroupAndPeeksWithoutAdding() {
    CostModel c = gpu(100);
    KernelPlan a = plan("a", 8, 1, 5);
    KernelPlan b = plan("b", 4, 3);
    c.record("a", 1, 0, 1_100);
    c.record("b", 1, 0, 600);
    List<PlanOp> members = List.of(new PlanOp(a, 0), new PlanOp(b, 0), new PlanOp(a, 1), new PlanOp(b, 1),
        new PlanOp(a, 2));
    CostModel.GroupEstimate g = c.group();
    for (int i = 0; i < members.size(); i++) {
      if (i > 0) {
        assertEquals(c.predictGroupNanos(members.subList(0, i + 1)), g.nanosWith(members.get(i)));
        assertEquals(i, g.size(), "peeking adds nothing");
      }
      g.add(members.get(i));
      assertEquals(c.predictGroupNanos(members.subList(0, i + 1)), g.nanos());
    }
    assertThrows(IllegalStateException.class, () -> c.group().nanos());
  }

  @Test
  void aRecordedOpChangesTheCachedRemainingTimeOfItsPlan() {
    CostModel c = gpu(0);
    KernelPlan p = plan("m", 4, 4);
    c.record("m", 1, 0, 1_000);
    c.record("m", 1, 1, 1_000);
    assertEquals(2_000, c.predictRemainingNanos(p, 0));
    c.record("m", 1, 1, 2_000);
    assertEquals(2_250, c.predictRemainingNanos(p, 0));
    assertEquals(1_250, c.predictOpNanos(p, 1));
    KernelPlan other = plan("m", 4, 4, 4);
    assertEquals(2_250 + 2_048, c.predictRemainingNanos(other, 0), "another plan of the same name is priced anew");
  }

  @Test
  void onTheCpuGroupMembersRunBackToBack() {
    CostModel c = new CostModel(Optional.empty(), Duration.ofNanos(100));
    KernelPlan a = plan("a", 1);
    c.record("a", 1, 0, 1_100);
    assertEquals(100 + 2 * 1_000, c.predictGroupNanos(List.of(new PlanOp(a, 0), new PlanOp(a, 0))));
  }

  @Test
  void wavesCountGridsAgainstWhatAllSmsHoldAtOnce() {
    // 256 threads and 32 registers per thread: 8 blocks per SM, 32 per wave.
    assertEquals(0.5, gpu(0).waves(plan("m", 16).op(0)));
    assertEquals(0, new CostModel(Optional.empty(), Duration.ZERO).waves(plan("m", 16).op(0)));
  }

  @Test
  void plansOfAModelSpecializedPerRequestAreKeptBoundedAndStillPredictedRight() {
    // A specialized model compiles a new batch-1 plan per shape key: the sums kept must not grow
    // with the keys seen over the process's life.
    CostModel c = gpu(100);
    for (int i = 0; i < 3 * CostModel.MAX_PLANS_PER_KEY; i++) {
      KernelPlan p = plan("special", 4, 5);
      assertEquals(2 * 100 + 2_048 + 3_277, c.predictRemainingNanos(p, 0));
      assertEquals(100 + 3_277, c.predictRemainingNanos(p, 1));
    }
    assertTrue(c.plansKept("special", 1) <= CostModel.MAX_PLANS_PER_KEY, "kept: " + c.plansKept("special", 1));
    assertTrue(c.plansKept("special", 1) > 0);
  }
}
