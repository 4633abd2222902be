package dev.braid.coordinator.routing;

import dev.braid.coordinator.placement.GpuId;
import java.util.Objects;

/**
 * One replica's load as its GPU last reported it.
 *
 * @param gpu the GPU hosting the replica
 * @param queueDepth requests admitted to it and not yet finished, >= 0
 * @param predictedQueueNanos device time its queue still needs (the cost model's prediction), >= 0,
 *     as of the {@link RoutingTable#asOfNanos} of the table carrying it
 * @param sloAttainment share of its recent requests that met their deadline, in [0, 1]
 */
public record ReplicaLoad(GpuId gpu, int queueDepth, long predictedQueueNanos, double sloAttainment) {
  public ReplicaLoad {
    Objects.requireNonNull(gpu, "gpu");
    if (queueDepth < 0) {
      throw new IllegalArgumentException("queueDepth of " + gpu + " must be >= 0, got " + queueDepth);
    }
    if (predictedQueueNanos < 0) {
      throw new IllegalArgumentException("predictedQueueNanos of " + gpu + " must be >= 0, got " + predictedQueueNanos);
    }
    if (!(sloAttainment >= 0 && sloAttainment <= 1)) {
      throw new IllegalArgumentException("sloAttainment of " + gpu + " must be in [0, 1], got " + sloAttainment);
    }
  }

  /** An idle replica. */
  public static ReplicaLoad idle(GpuId gpu) {
    return new ReplicaLoad(gpu, 0, 0, 1.0);
  }
}
