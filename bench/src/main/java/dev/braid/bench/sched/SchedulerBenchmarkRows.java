package dev.braid.bench.sched;

import java.util.Comparator;
import java.util.List;

/** The rows of {@code bench scheduler}'s summary, one per policy and job count. */
final class SchedulerBenchmarkRows {
  private SchedulerBenchmarkRows() {}

  /** The policies the benchmark takes, in table order. */
  static final List<String> POLICIES = List.of("space-time", "space-only", "time-only");

  /**
   * One combination's per-decision times.
   *
   * @param policy the scheduling policy
   * @param jobs jobs ready at each decision
   * @param p50Nanos median time of one decision
   * @param p99Nanos 99th percentile
   * @param p999Nanos 99.9th percentile
   * @param meanNanos mean
   * @param samples decisions timed
   */
  record Row(String policy, int jobs, double p50Nanos, double p99Nanos, double p999Nanos, double meanNanos,
      long samples) {}

  /** Table order: policies as {@link #POLICIES}, then by job count. */
  static final Comparator<Row> ORDER = Comparator.comparingInt((Row r) -> POLICIES.indexOf(r.policy()))
      .thenComparingInt(Row::jobs);
}
