package dev.braid.gpu.sched;

import dev.braid.device.plan.KernelPlan;
import java.util.Objects;

/**
 * One batch of requests of one model, walking its {@link KernelPlan} from op 0 to the last. The
 * record is the job's fixed description; its progress (next op, op in flight) lives in the
 * {@link SpaceTimeScheduler} that admitted it.
 *
 * @param id unique among the jobs of one scheduler
 * @param plan the kernels of the model at the batch's size; at least one op
 * @param deadlineNanos absolute time ({@code NanoClock}) by which the last op should complete
 * @param priority 0 is the most urgent (Triton's priority level minus one); ordered before deadlines
 *     (see {@code Urgency}), and a less urgent level leaves the urgent streams to a more urgent one
 * @param admittedNanos when the job was admitted; orders ties and drives aging
 */
public record Job(long id, KernelPlan plan, long deadlineNanos, int priority, long admittedNanos) {
  public Job {
    Objects.requireNonNull(plan, "plan");
    if (plan.size() == 0) {
      throw new IllegalArgumentException("job " + id + " of model '" + plan.model() + "' has an empty plan");
    }
    if (priority < 0) {
      throw new IllegalArgumentException("job " + id + ": priority must be >= 0, got " + priority);
    }
  }

  /** The model the plan belongs to. */
  public String model() {
    return plan.model();
  }

  /** The batch size the plan was compiled for. */
  public int batchSize() {
    return plan.batchSize();
  }
}
