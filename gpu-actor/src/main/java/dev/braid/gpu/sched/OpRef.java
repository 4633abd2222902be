package dev.braid.gpu.sched;

import dev.braid.device.plan.FusionKey;
import dev.braid.device.plan.KernelOp;
import dev.braid.gpu.cost.PlanOp;
import java.util.Objects;
import java.util.Optional;

/** Op {@code opIndex} of {@code job}: one problem of a launch. */
public record OpRef(Job job, int opIndex) {
  public OpRef {
    Objects.requireNonNull(job, "job");
    if (opIndex < 0 || opIndex >= job.plan().size()) {
      throw new IllegalArgumentException("job " + job.id() + ": opIndex must be in [0, "
          + job.plan().size() + "), got " + opIndex);
    }
  }

  public KernelOp op() {
    return job.plan().op(opIndex);
  }

  public Optional<FusionKey> fusionKey() {
    return op().fusionKey();
  }

  /** True when this is the last op of the job's plan. */
  public boolean isLast() {
    return opIndex == job.plan().size() - 1;
  }

  public PlanOp planOp() {
    return new PlanOp(job.plan(), opIndex);
  }

  @Override
  public String toString() {
    return "job " + job.id() + " (" + job.model() + ") op " + opIndex;
  }
}
