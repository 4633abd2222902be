package dev.braid.gpu.sched;

import dev.braid.protocol.cluster.FailureReason;
import java.util.Objects;

/**
 * A job the scheduler removed without completing it: reported once, never silently dropped.
 *
 * @param opIndex the op that failed or would have run next
 */
public record FailedJob(Job job, int opIndex, FailureReason reason) {
  public FailedJob {
    Objects.requireNonNull(job, "job");
    Objects.requireNonNull(reason, "reason");
  }
}
