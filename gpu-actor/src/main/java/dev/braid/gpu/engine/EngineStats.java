package dev.braid.gpu.engine;

import dev.braid.protocol.cluster.FailureReason;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of a {@link GpuEngine}'s counters, cumulative since it started unless said otherwise.
 *
 * @param policy the scheduling policy in use
 * @param nowNanos when the snapshot was taken (the engine's clock)
 * @param models the models loaded and serving, in load order
 * @param requestsSubmitted requests handed to {@code submit}
 * @param requestsCompleted requests answered with outputs
 * @param requestsFailed requests answered with an error, of any reason
 * @param requestsRejected those of the failed whose deadline passed while queued in a batcher
 * @param failuresByReason the failed, by reason
 * @param batches batches formed (jobs started)
 * @param launches device launches, a super-kernel counting once
 * @param superKernels launches that grouped several ops
 * @param superKernelOps ops launched inside super-kernels
 * @param superKernelSizes how many super-kernels grouped each number of ops
 * @param queuedRequests per model, requests queued in its batcher now
 * @param jobsInFlight batches started and not yet answered, now
 * @param launchesInFlight launches on the device now
 * @param busyNanos time during which at least one launch was on the device
 * @param allocatedBytes device memory in use now
 * @param healthy false once the device lost its context; the engine then takes no work
 * @param unhealthyReason why it is unhealthy (the device and its failure); empty while healthy
 */
public record EngineStats(
    String policy,
    long nowNanos,
    List<String> models,
    long requestsSubmitted,
    long requestsCompleted,
    long requestsFailed,
    long requestsRejected,
    Map<FailureReason, Long> failuresByReason,
    long batches,
    long launches,
    long superKernels,
    long superKernelOps,
    Map<Integer, Long> superKernelSizes,
    Map<String, Integer> queuedRequests,
    int jobsInFlight,
    int launchesInFlight,
    long busyNanos,
    long allocatedBytes,
    boolean healthy,
    String unhealthyReason) {
  public EngineStats {
    unhealthyReason = unhealthyReason == null ? "" : unhealthyReason;
    models = List.copyOf(models);
    failuresByReason = Map.copyOf(failuresByReason);
    superKernelSizes = Map.copyOf(superKernelSizes);
    queuedRequests = Map.copyOf(queuedRequests);
  }

  /** The largest super-kernel so far (in ops); 0 when none formed. */
  public int largestSuperKernel() {
    return superKernelSizes.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
  }
}
