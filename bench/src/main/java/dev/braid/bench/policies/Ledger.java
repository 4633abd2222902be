package dev.braid.bench.policies;

import dev.braid.gpu.engine.InferResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every request of one policy's run, from submission to its one answer: the bookkeeping behind a
 * {@link PolicyResult}. Confined to the engine owner's thread (answers arrive there).
 *
 * <p>Lifecycle of request {@code i}: not yet submitted -> {@link #submitted} -> {@link #answered}
 * exactly once; a second answer is a bug in the engine and throws.
 */
final class Ledger {
  private static final byte WAITING = 0;
  private static final byte COMPLETED = 1;
  private static final byte FAILED = 2;

  private final long[] submitNanos;
  private final long[] deadlineNanos;
  private final long[] answerNanos;
  private final byte[] state;
  private final Map<String, Long> failures = new TreeMap<>();
  private int submitted;
  private int answered;
  private long lastAnswerNanos = Long.MIN_VALUE;

  Ledger(int requests) {
    submitNanos = new long[requests];
    deadlineNanos = new long[requests];
    answerNanos = new long[requests];
    state = new byte[requests];
  }

  void submitted(int request, long atNanos, long deadline) {
    submitNanos[request] = atNanos;
    deadlineNanos[request] = deadline;
    submitted++;
  }

  /** Records the answer to {@code request}, read at {@code nowNanos} when it carries no time. */
  void answered(int request, InferResult result, long nowNanos) {
    if (state[request] != WAITING) {
      throw new IllegalStateException("request " + request + " was answered twice; the second answer: " + result);
    }
    answered++;
    if (result instanceof InferResult.Completed c) {
      state[request] = COMPLETED;
      answerNanos[request] = c.completedNanos();
    } else {
      state[request] = FAILED;
      answerNanos[request] = nowNanos;
      failures.merge(((InferResult.Failed) result).reason().name(), 1L, Long::sum);
    }
    lastAnswerNanos = Math.max(lastAnswerNanos, answerNanos[request]);
  }

  int submitted() {
    return submitted;
  }

  int answered() {
    return answered;
  }

  /** When the last answer came; {@link Long#MIN_VALUE} before any. */
  long lastAnswerNanos() {
    return lastAnswerNanos;
  }

  Map<String, Long> failures() {
    return new TreeMap<>(failures);
  }

  long completed() {
    long n = 0;
    for (byte s : state) {
      n += s == COMPLETED ? 1 : 0;
    }
    return n;
  }

  /** Completed requests answered no later than their deadline. */
  long withinDeadline() {
    long n = 0;
    for (int i = 0; i < state.length; i++) {
      n += state[i] == COMPLETED && answerNanos[i] <= deadlineNanos[i] ? 1 : 0;
    }
    return n;
  }

  /** Latencies of the completed requests, sorted ascending. */
  long[] completedLatencies() {
    long[] out = new long[state.length];
    int n = 0;
    for (int i = 0; i < state.length; i++) {
      if (state[i] == COMPLETED) {
        out[n++] = answerNanos[i] - submitNanos[i];
      }
    }
    out = Arrays.copyOf(out, n);
    Arrays.sort(out);
    return out;
  }

  /**
   * Per instance of {@code workload}, in instance order: requests submitted, those within their
   * deadline, and the median and 99th percentile latency of the completed ones.
   */
  List<PolicyResult.ModelResult> perModel(Workload workload) {
    int n = workload.instances().size();
    long[][] latencies = new long[n][];
    int[] completed = new int[n];
    long[] submittedOf = new long[n];
    long[] within = new long[n];
    int[] counts = workload.requestsPerInstance();
    for (int m = 0; m < n; m++) {
      latencies[m] = new long[counts[m]];
    }
    for (int i = 0; i < state.length; i++) {
      int m = workload.instanceOf(i);
      submittedOf[m]++;
      if (state[i] == COMPLETED) {
        latencies[m][completed[m]++] = answerNanos[i] - submitNanos[i];
        within[m] += answerNanos[i] <= deadlineNanos[i] ? 1 : 0;
      }
    }
    List<PolicyResult.ModelResult> out = new ArrayList<>(n);
    for (int m = 0; m < n; m++) {
      long[] sorted = Arrays.copyOf(latencies[m], completed[m]);
      Arrays.sort(sorted);
      Workload.Instance inst = workload.instances().get(m);
      out.add(new PolicyResult.ModelResult(inst.name(), inst.arch(), submittedOf[m], completed[m], within[m],
          percentile(sorted, 0.50), percentile(sorted, 0.99)));
    }
    return out;
  }

  /** FLOPs of the completed requests, each at its instance's batch-1 FLOPs. */
  double completedFlops(Workload workload) {
    double sum = 0;
    for (int i = 0; i < state.length; i++) {
      if (state[i] == COMPLETED) {
        sum += workload.instances().get(workload.instanceOf(i)).flopsPerRequest();
      }
    }
    return sum;
  }

  /**
   * The nearest-rank percentile {@code p} (in (0, 1]) of ascending {@code sorted}: the smallest
   * value with at least {@code p} of the values at or below it; 0 for none.
   */
  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }
}
