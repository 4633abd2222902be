package dev.braid.coordinator.routing;

import dev.braid.coordinator.placement.GpuId;

/**
 * A request sent to a replica; hand {@link #ticket} back to {@link Router#completed} when it ends,
 * whatever the outcome, so that the router's local estimate drops it.
 *
 * @param ticket unique within one router
 * @param model the model
 * @param gpu the replica chosen
 * @param requestNanos the request's predicted device time, added to the replica's estimate
 * @param predictedFinishNanos when it was predicted to finish, on the frontend's clock
 */
public record Route(long ticket, String model, GpuId gpu, long requestNanos, long predictedFinishNanos) {}
