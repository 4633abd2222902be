package dev.braid.device.plan;

import java.util.List;

/**
 * The kernels one inference of a model runs at one batch size, in an order that respects their
 * dependencies (every op's {@link KernelOp#dependsOn} points backwards). A request walks the plan
 * from op 0 to the last; the scheduler decides when each op launches, on which stream, and fused
 * with which ops of other requests.
 */
public record KernelPlan(String model, int batchSize, List<KernelOp> ops) {
  public KernelPlan {
    ops = List.copyOf(ops);
    for (int i = 0; i < ops.size(); i++) {
      if (ops.get(i).index() != i) {
        throw new IllegalArgumentException("op at position " + i + " of plan '" + model + "' has index "
            + ops.get(i).index());
      }
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
    }
  }

  public int size() {
    return ops.size();
  }

  public KernelOp op(int index) {
    return ops.get(index);
  }

  /** FLOPs of one inference. */
  public long totalFlops() {
    long f = 0;
    for (KernelOp op : ops) {
      f += op.flops();
    }
    return f;
  }
}
