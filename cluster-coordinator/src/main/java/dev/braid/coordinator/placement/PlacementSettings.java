package dev.braid.coordinator.placement;

/**
 * The knobs of {@link Placement}.
 *
 * @param reservePerGpuBytes memory held back on every GPU for activations, workspaces and the
 *     arenas of in-flight requests; weights fill at most {@code memory - reserve}
 * @param targetUtilisation the share of a GPU's time that expected load may fill, in (0, 1]; the
 *     rest absorbs bursts so that queues, and with them latency, stay short
 * @param rebalanceThreshold utilisation gap between the busiest and the idlest healthy GPU above
 *     which replicas move, in [0, 1]; below it placement keeps what is where it is
 * @param maxMovesPerPlan replicas moved for balance in one re-placement, >= 0, bounding the churn
 *     (each move loads weights) that one event causes
 */
public record PlacementSettings(
    long reservePerGpuBytes, double targetUtilisation, double rebalanceThreshold, int maxMovesPerPlan) {
  /**
   * 1 GiB reserve: activations of the zoo's models at small batches take tens of MiB, the
   * per-stream arenas and the CUDA context a few hundred; 0.7 utilisation: an M/D/1 queue at 70%
   * waits on average about 1.2 service times, within a typical SLO of several service times; a 0.2
   * gap: smaller gaps are within the noise of load estimates; 4 moves: a join settles in a few
   * plans without reloading half the cluster at once.
   */
  public static final PlacementSettings DEFAULTS = new PlacementSettings(1L << 30, 0.7, 0.2, 4);

  public PlacementSettings {
    if (reservePerGpuBytes < 0) {
      throw new IllegalArgumentException(
          "placement.reserve-per-gpu-bytes must be >= 0, got " + reservePerGpuBytes);
    }
    if (!(targetUtilisation > 0 && targetUtilisation <= 1)) {
      throw new IllegalArgumentException(
          "placement.target-utilisation must be in (0, 1], got " + targetUtilisation);
    }
    if (!(rebalanceThreshold >= 0 && rebalanceThreshold <= 1)) {
      throw new IllegalArgumentException(
          "placement.rebalance-threshold must be in [0, 1], got " + rebalanceThreshold);
    }
    if (maxMovesPerPlan < 0) {
      throw new IllegalArgumentException("placement.max-moves-per-plan must be >= 0, got " + maxMovesPerPlan);
    }
  }
}
