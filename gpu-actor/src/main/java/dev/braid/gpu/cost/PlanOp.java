package dev.braid.gpu.cost;

import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import java.util.Objects;

/**
 * One op of one plan: the unit the {@link CostModel} prices. A super-kernel is a list of these,
 * possibly from plans of different models.
 *
 * @param opIndex index into {@code plan}, in {@code [0, plan.size())}
 */
public record PlanOp(KernelPlan plan, int opIndex) {
  public PlanOp {
    Objects.requireNonNull(plan, "plan");
    if (opIndex < 0 || opIndex >= plan.size()) {
      throw new IllegalArgumentException("opIndex must be in [0, " + plan.size() + ") for plan '"
          + plan.model() + "', got " + opIndex);
    }
  }

  public KernelOp op() {
    return plan.op(opIndex);
  }
}
