package dev.braid.gpu.sched;

import java.util.Comparator;

/** The orders jobs are served in. */
final class Urgency {
  private Urgency() {}

  /**
   * Earliest deadline first with aging: jobs admitted at least {@code agingNanos} before {@code
   * nowNanos} come first, oldest first; the rest by deadline, then priority (0 first), admission
   * time and job id. Total, so the same inputs always give the same order.
   */
  static Comparator<OpRef> agedDeadlineFirst(long nowNanos, long agingNanos) {
    Comparator<OpRef> aged = Comparator.comparing(o -> !isAged(o.job(), nowNanos, agingNanos));
    return aged
        .thenComparingLong(o -> isAged(o.job(), nowNanos, agingNanos) ? o.job().admittedNanos() : 0)
        .thenComparingLong(o -> o.job().deadlineNanos())
        .thenComparingInt(o -> o.job().priority())
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
