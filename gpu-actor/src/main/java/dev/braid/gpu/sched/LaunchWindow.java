package dev.braid.gpu.sched;

import dev.braid.protocol.cluster.FailureReason;

/**
 * When a planned launch should start, and how long it is expected to run. Starting after {@code
 * latestStartNanos} makes at least one of its jobs miss its deadline (by the cost model's
 * prediction). The engine issues every launch in the turn that plans it, so the window is not
 * checked at issue: jobs that can no longer make their deadline are failed {@link
 * FailureReason#TOO_LATE} before planning ({@link SpaceTimeScheduler#expire}); the scheduler reads
 * {@link #expectedEndNanos} to foresee when a job in flight has its next op ready (holding to fuse).
 *
 * @param earliestStartNanos the time it was planned: its inputs were ready then
 * @param latestStartNanos the tightest member's deadline less the launch's expected duration and
 *     the predicted time of that member's ops after this one
 * @param expectedDurationNanos the cost model's prediction for the launch
 */
public record LaunchWindow(long earliestStartNanos, long latestStartNanos, long expectedDurationNanos) {
  public LaunchWindow {
    if (expectedDurationNanos < 0) {
      throw new IllegalArgumentException("expectedDurationNanos must be >= 0, got " + expectedDurationNanos);
    }
  }

  /** Expected completion when started at the earliest start. */
  public long expectedEndNanos() {
    return earliestStartNanos + expectedDurationNanos;
  }
}
