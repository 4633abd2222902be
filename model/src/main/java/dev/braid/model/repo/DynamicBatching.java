package dev.braid.model.repo;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Dynamic batching settings: a request waits at most {@code maxQueueDelay} for others to join
 * its batch; {@code priorityLevels} 0 means no priorities, else levels 1 (highest) to
 * {@code priorityLevels}, with {@code defaultPriorityLevel} in that range.
 */
public record DynamicBatching(
    List<Integer> preferredBatchSizes,
    Duration maxQueueDelay,
    boolean preserveOrdering,
    long priorityLevels,
    long defaultPriorityLevel) {
  public DynamicBatching {
    preferredBatchSizes = List.copyOf(preferredBatchSizes);
    Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
  }

  /** Triton's auto-complete default: dynamic batching on, no queueing delay. */
  public static DynamicBatching immediate() {
    return new DynamicBatching(List.of(), Duration.ZERO, false, 0, 0);
  }
}
