package dev.braid.bench.policies;

import java.util.List;
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
 * @param superKernelSizes how many super-kernels grouped each number of ops (sizes >= 2)
 * @param hostBusyNanos host time spent in the device's API calls (the launch path), measured by
 *     the simulator; -1 where the device does not measure it
 * @param perModel per instance of the workload, in instance order
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
    long superKernelOps,
    Map<Integer, Long> superKernelSizes,
    long hostBusyNanos,
    List<ModelResult> perModel) {

  /**
   * One instance's requests within a run.
   *
   * @param name the instance
   * @param arch its architecture
   * @param submitted its requests submitted
   * @param completed those answered with outputs
   * @param withinSlo those completed by their deadline
   * @param p50Nanos median latency of its completed requests (0 if none)
   * @param p99Nanos 99th percentile latency (nearest rank) of its completed requests (0 if none)
   */
  record ModelResult(String name, String arch, long submitted, long completed, long withinSlo, long p50Nanos,
      long p99Nanos) {
    double sloAttainment() {
      return submitted == 0 ? 1 : (double) withinSlo / submitted;
    }
  }

  PolicyResult {
    Objects.requireNonNull(policy, "policy");
    failures = new TreeMap<>(failures);
    superKernelSizes = new TreeMap<>(superKernelSizes);
    perModel = List.copyOf(perModel);
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

  /** Ops launched, each member of a super-kernel counting once. */
  long opsLaunched() {
    return launches - superKernels + superKernelOps;
  }

  /** The share of launched ops that ran inside a super-kernel; 0 when none launched. */
  double fusedShare() {
    long ops = opsLaunched();
    return ops == 0 ? 0 : (double) superKernelOps / ops;
  }

  /** Device launches per completed request; 0 when none completed. */
  double launchesPerRequest() {
    return completed == 0 ? 0 : (double) launches / completed;
  }

  /**
   * The nearest-rank 90th percentile of super-kernel sizes (ops): the smallest size with at least
   * 90% of super-kernels at or below it; 0 when none formed.
   */
  int p90SuperKernelSize() {
    long total = superKernelSizes.values().stream().mapToLong(Long::longValue).sum();
    if (total == 0) {
      return 0;
    }
    long rank = (long) Math.ceil(0.9 * total);
    long seen = 0;
    for (Map.Entry<Integer, Long> e : superKernelSizes.entrySet()) {
      seen += e.getValue();
      if (seen >= rank) {
        return e.getKey();
      }
    }
    throw new IllegalStateException("unreachable: the sizes sum to " + total);
  }

  /** Host launch path's busy time over the span; NaN where the device does not measure it. */
  double hostBusyShare() {
    return hostBusyNanos < 0 ? Double.NaN : hostBusyNanos / (double) spanNanos;
  }

  /** The instance named {@code name}, or null. */
  ModelResult model(String name) {
    return perModel.stream().filter(m -> m.name().equals(name)).findFirst().orElse(null);
  }
}
