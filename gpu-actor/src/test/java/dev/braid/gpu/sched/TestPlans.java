package dev.braid.gpu.sched;

import dev.braid.device.GpuSpec;
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
import java.util.List;
import java.util.Optional;

/** Hand-built plans, a small GPU and cost models with exact durations for scheduler tests. */
final class TestPlans {
  static final FusionKey K1 = new FusionKey(KernelFamily.GEMM, DType.FLOAT32, "tile64");
  static final FusionKey K2 = new FusionKey(KernelFamily.CONV2D, DType.FLOAT32, "k3s1");

  /**
   * 4 SMs, 8 resident blocks of 256 threads each (so one wave is 32 such blocks), 1 GFLOP/s and
   * 1 GB/s per SM: numbers small enough to check by hand.
   */
  static final GpuSpec GPU = new GpuSpec(4, 2048, 8, 65536, 100_000, 4e9, 4e9, 128, 1_000_000_000L);

  private TestPlans() {}

  /** One op: its fusion key (null for none) and grid size in 256-thread blocks. */
  record OpSpec(FusionKey key, int blocks) {}

  static OpSpec op(FusionKey key, int blocks) {
    return new OpSpec(key, blocks);
  }

  static KernelPlan plan(String model, OpSpec... specs) {
    List<KernelOp> ops = new ArrayList<>();
    for (int i = 0; i < specs.length; i++) {
      ops.add(new KernelOp(i, model + "/n" + i, Gemm.of(16, 16, 16), i == 0 ? List.of() : List.of(i - 1),
          new LaunchGeometry(specs[i].blocks(), 256, 32, 0), Optional.ofNullable(specs[i].key())));
    }
    return new KernelPlan(model, 1, ops);
  }

  /** {@code n} ops of key {@code key}, one block each. */
  static KernelPlan chain(String model, int n, FusionKey key) {
    OpSpec[] specs = new OpSpec[n];
    for (int i = 0; i < n; i++) {
      specs[i] = op(key, 1);
    }
    return plan(model, specs);
  }

  /** A GPU cost model without launch overhead in which every op of {@code plans} takes {@code opNanos}. */
  static CostModel gpuCost(long opNanos, KernelPlan... plans) {
    CostModel cost = new CostModel(Optional.of(GPU), Duration.ZERO);
    for (KernelPlan p : plans) {
      for (int i = 0; i < p.size(); i++) {
        cost.record(p.model(), p.batchSize(), i, opNanos);
      }
    }
    return cost;
  }

  static SchedulerConfig config(int streams, int inFlightPerStream, Duration aging) {
    List<Integer> priorities = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      priorities.add(i == 0 ? -1 : 0);
    }
    return new SchedulerConfig(priorities, 16, Optional.of(GPU), inFlightPerStream, 2.0, aging);
  }

  static Job job(long id, KernelPlan plan, long deadlineNanos, long admittedNanos) {
    return new Job(id, plan, deadlineNanos, 0, admittedNanos);
  }
}
