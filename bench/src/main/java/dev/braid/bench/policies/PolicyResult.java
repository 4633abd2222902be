package dev.braid.bench.policies;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one policy did with a {@link Workload}.
 *
 * <p>Every rate is over {@code spanNanos}: from the first possible arrival (the workload's start)
 * to the last answer, but never shorter than the workload's duration. Latencies are of completed
 * requests only, from submission to the outputs being on the host; a request is within its SLO
 * when it completed by its deadline. Invariant: {@code completed + failed() == submitted}.
 *
 * @param policy the scheduling policy's name
 * @param submitted requests submitted
 * @param completed requests answered with outputs
 * @param failures requests answered with an error, by reason (sorted by name)
 * @param withinSlo completed requests answered by their deadline
 * @param spanNanos the measurement window
 * @param completedFlops FLOPs of the completed requests, each counted at its model's batch-1 plan
 * @param utilization busy SM-time over total SM-time (simulated GPUs), or the fraction of the span
 *     with at least one launch on the device (other devices), see {@code utilizationSource}
 * @param utilizationSource {@code sm} or {@code busy}
 * @param p50Nanos median latency of completed requests (0 if none completed)
 * @param p99Nanos 99th percentile latency (nearest rank) of completed requests (0 if none)
 * @param batches batches the engine formed
 * @param requestsBatched requests that left their batcher in a batch (not expired while queued)
 * @param launches device launches, a super-kernel counting once
 * @param superKernels launches that grouped several ops
 * @param superKernelOps ops launched inside super-kernels
 */
record PolicyResult(
    String policy,
    long submitted,
    long completed,
    Map<String, Long> failures,
    long withinSlo,
    long spanNanos,
    double completedFlops,
    double utilization,
    String utilizationSource,
    long p50Nanos,
    long p99Nanos,
    long batches,
    long requestsBatched,
    long launches,
    long superKernels,
    long superKernelOps) {
  PolicyResult {
    Objects.requireNonNull(policy, "policy");
    failures = new TreeMap<>(failures);
    if (completed + failures.values().stream().mapToLong(Long::longValue).sum() != submitted) {
      throw new IllegalStateException(policy + ": " + completed + " completed + " + failures
          + " failed != " + submitted + " submitted: a request was lost or answered twice");
    }
    if (spanNanos <= 0) {
      throw new IllegalArgumentException(policy + ": span must be > 0 ns, got " + spanNanos);
    }
  }

  long failed() {
    return submitted - completed;
  }

  double spanSeconds() {
    return spanNanos / 1e9;
  }

  double throughputRps() {
    return completed / spanSeconds();
  }

  double tflops() {
    return completedFlops / spanSeconds() / 1e12;
  }

  /** Completed within deadline over all submitted; 1 when nothing was submitted. */
  double sloAttainment() {
    return submitted == 0 ? 1 : (double) withinSlo / submitted;
  }

  double p50Ms() {
    return p50Nanos / 1e6;
  }

  double p99Ms() {
    return p99Nanos / 1e6;
  }

  /** Ops per super-kernel, on average; 0 when none formed. */
  double meanSuperKernelSize() {
    return superKernels == 0 ? 0 : (double) superKernelOps / superKernels;
  }

  /** Requests per batch, on average; 0 when no batch formed. */
  double meanBatchSize() {
    return batches == 0 ? 0 : (double) requestsBatched / batches;
  }
}
