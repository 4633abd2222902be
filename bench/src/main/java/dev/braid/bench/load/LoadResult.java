package dev.braid.bench.load;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One load run's measures, computed once from its {@link RunLog}.
 *
 * @param mode "open-loop" or "closed-loop"
 * @param offeredRate the rate asked for (open loop), NaN for a closed loop
 * @param concurrency calls kept in flight (closed loop), 0 for an open loop
 * @param seconds from the first intended send to the last answer (or the end of the run window,
 *     whichever is later)
 * @param sent calls sent
 * @param ok calls answered OK
 * @param errorsByStatus failed calls per gRPC status code, only codes that occurred
 * @param unanswered calls that got neither an answer nor an error before the client gave up
 * @param throughput OK answers per second over {@code seconds}
 * @param percentiles the requested percentile (e.g. 99) to its latency in ms over OK answers
 * @param meanMs the mean latency of OK answers, ms
 * @param maxMs the largest latency of an OK answer, ms
 * @param sloMs the latency objective, NaN when none was given
 * @param sloAttainment share of sent calls answered OK within {@code sloMs} (NaN without an SLO)
 * @param goodput calls answered OK within {@code sloMs} per second (NaN without an SLO)
 * @param thresholdAttainment share of sent calls answered OK within the max-rate search's
 *     latency threshold (NaN outside a search)
 * @param sendSeconds from the first intended send to the last actual one (at least the run's
 *     length): the window the calls went out in
 * @param maxSendLagMs how far behind its intended time the latest-sent call went out (open loop;
 *     a busy client machine shows here, and its lag is inside the latencies, never hidden), ms
 * @param firstError the first failure's status and description, or null
 * @param timeline per whole second of the run: [second, OK answers sent in it, p50 ms, p99 ms]
 */
public record LoadResult(String mode, double offeredRate, int concurrency, double seconds, long sent, long ok,
    Map<String, Long> errorsByStatus, long unanswered, double throughput, Map<Double, Double> percentiles,
    double meanMs, double maxMs, double sloMs, double sloAttainment, double goodput, double thresholdAttainment, double sendSeconds, double maxSendLagMs, String firstError,
    List<double[]> timeline) {
  public LoadResult {
    errorsByStatus = Map.copyOf(errorsByStatus);
    percentiles = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(percentiles));
    timeline = List.copyOf(timeline);
  }

  public long errors() {
    return errorsByStatus.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The latency of percentile {@code p} (0..100] in ms, nearest rank over {@code sortedNanos}; NaN if empty. */
  static double percentileMs(long[] sortedNanos, double p) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sortedNanos.length);
    return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank - 1))] / 1e6;
  }

  /** Builds the result of a finished run. */
  static LoadResult of(String mode, double offeredRate, int concurrency, double seconds, double sendSeconds,
      double maxSendLagMs, RunLog log, List<Double> percentiles, double sloMs, double thresholdMs) {
    long[][] s = log.samples();
    long[] offsets = s[0];
    long[] latencies = s[1];
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    Map<Double, Double> p = new LinkedHashMap<>();
    for (double q : percentiles) {
      p.put(q, percentileMs(sorted, q));
    }
    double mean = sorted.length == 0 ? Double.NaN : Arrays.stream(sorted).average().orElse(0) / 1e6;
    double max = sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6;
    Map<String, Long> errors = new LinkedHashMap<>();
    for (io.grpc.Status.Code c : io.grpc.Status.Code.values()) {
      long n = log.errorsFor(c);
      if (n > 0) {
        errors.put(c.name(), n);
      }
    }
    long answered = log.okCount() + log.errorCount();
    double attainment = Double.NaN;
    double goodput = Double.NaN;
    if (!Double.isNaN(sloMs)) {
      long within = within(sorted, sloMs);
      attainment = log.sentCount() == 0 ? Double.NaN : within / (double) log.sentCount();
      goodput = within / seconds;
    }
    double thresholdAttainment = Double.isNaN(thresholdMs) || log.sentCount() == 0 ? Double.NaN
        : within(sorted, thresholdMs) / (double) log.sentCount();
    return new LoadResult(mode, offeredRate, concurrency, seconds, log.sentCount(), log.okCount(), errors,
        log.sentCount() - answered, log.okCount() / seconds, p, mean, max, sloMs, attainment, goodput,
        thresholdAttainment, sendSeconds, maxSendLagMs, log.firstError(), timeline(offsets, latencies));
  }

  /**
   * OK answers within {@code ms}, among the kept samples (sorted); latencies past the kept samples
   * are unknown and count as misses.
   */
  private static long within(long[] sortedNanos, double ms) {
    long limit = Math.round(ms * 1e6);
    int i = Arrays.binarySearch(sortedNanos, limit);
    if (i < 0) {
      return -i - 1;
    }
    while (i + 1 < sortedNanos.length && sortedNanos[i + 1] == limit) {
      i++;
    }
    return i + 1;
  }

  /** Per second of intended send time: answers, p50, p99. */
  private static List<double[]> timeline(long[] offsets, long[] latencies) {
    int seconds = 0;
    for (long o : offsets) {
      seconds = Math.max(seconds, (int) (o / 1_000_000_000L) + 1);
    }
    List<long[]> buckets = new java.util.ArrayList<>();
    int[] counts = new int[seconds];
    for (long o : offsets) {
      counts[(int) (o / 1_000_000_000L)]++;
    }
    for (int c : counts) {
      buckets.add(new long[c]);
    }
    int[] fill = new int[seconds];
    for (int i = 0; i < offsets.length; i++) {
      int b = (int) (offsets[i] / 1_000_000_000L);
      buckets.get(b)[fill[b]++] = latencies[i];
    }
    List<double[]> out = new java.util.ArrayList<>();
    for (int b = 0; b < seconds; b++) {
      long[] l = buckets.get(b);
      Arrays.sort(l);
      out.add(new double[] {b, l.length, percentileMs(l, 50), percentileMs(l, 99)});
    }
    return out;
  }
}
