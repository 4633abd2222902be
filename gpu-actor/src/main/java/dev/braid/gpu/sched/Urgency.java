package dev.braid.gpu.sched;

import java.util.Comparator;

/** The orders jobs are served in. */
final class Urgency {
  private Urgency() {}

  /**
   * Aging, then priority, then earliest deadline first: jobs admitted at least {@code agingNanos}
   * before {@code nowNanos} come first, oldest first, whatever their level (the bound on any job's
   * wait, so a sustained stream of critical work cannot starve best-effort jobs); the rest by
   * priority level (0 first: a latency-critical job comes before every best-effort job, as in
   * Triton's priority queues, instead of only breaking deadline ties), then deadline, admission
   * time and job id. Total, so the same inputs always give the same order.
   */
  static Comparator<OpRef> agedDeadlineFirst(long nowNanos, long agingNanos) {
    Comparator<OpRef> aged = Comparator.comparing(o -> !isAged(o.job(), nowNanos, agingNanos));
    return aged
        .thenComparingLong(o -> isAged(o.job(), nowNanos, agingNanos) ? o.job().admittedNanos() : 0)
        .thenComparingInt(o -> o.job().priority())
        .thenComparingLong(o -> o.job().deadlineNanos())
        .thenComparing(arrival());
  }

  /** Admission order, ties by job id. */
  static Comparator<OpRef> arrival() {
    return Comparator.comparingLong((OpRef o) -> o.job().admittedNanos()).thenComparingLong(o -> o.job().id());
  }

  static boolean isAged(Job job, long nowNanos, long agingNanos) {
    return nowNanos - job.admittedNanos() >= agingNanos;
  }
}
