package dev.braid.coordinator.routing;

import dev.braid.coordinator.placement.GpuId;

/**
 * A frontend's estimate of one replica at one moment.
 *
 * @param gpu the replica's GPU
 * @param queueNanos device time queued ahead of a new request: the table's figure aged since the
 *     table arrived, plus what this frontend routed there since and has not seen complete
 * @param predictedFinishNanos when a request routed now would finish: now + queue + its own time
 * @param inFlight requests this frontend routed there that have not completed
 */
public record ReplicaEstimate(GpuId gpu, long queueNanos, long predictedFinishNanos, int inFlight) {}
