package dev.braid.coordinator.placement;

import java.util.Objects;

/**
 * Why a model did not get everything it asked for. A model is never dropped silently: every model
 * of the demand that ends with fewer replicas than it wanted, or on a GPU past the target
 * utilisation, or with a request time beyond its SLO, has one of these in the result.
 *
 * @param model the model concerned
 * @param reason what went short
 * @param replicasWanted replicas its load asked for
 * @param replicasPlaced replicas it has in the new plan (0: not served at all)
 * @param message for operators, naming the model and the numbers that decided
 */
public record Shortfall(String model, Reason reason, int replicasWanted, int replicasPlaced, String message) {
  /** What went short. */
  public enum Reason {
    /** No healthy GPU in the cluster at all. */
    NO_HEALTHY_GPU,
    /** No healthy GPU without a replica of the model has enough free memory for its weights. */
    NO_GPU_WITH_ENOUGH_MEMORY,
    /** Placed, but on a GPU whose utilisation now exceeds the target: the cluster is short of GPUs. */
    OVER_TARGET_UTILISATION,
    /** Placed, but one request takes longer on the device than the model's SLO allows. */
    SLO_UNREACHABLE
  }

  public Shortfall {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
  }
}
