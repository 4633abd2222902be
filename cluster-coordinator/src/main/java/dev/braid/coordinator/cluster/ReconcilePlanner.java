package dev.braid.coordinator.cluster;

import dev.braid.coordinator.placement.Placement;
import dev.braid.coordinator.placement.PlacementPlan;
import dev.braid.coordinator.placement.PlacementResult;
import dev.braid.coordinator.placement.Reconciler;
import dev.braid.coordinator.placement.Shortfall;
import java.util.List;

/**
 * One reconcile's decisions, from the {@link Coordinator}'s {@link ClusterView}: the models (less
 * those that failed everywhere lately) placed on the usable GPUs by {@link Placement}, starting
 * from the previous plan, and the {@link Reconciler}'s steps towards the new one. Pure but for
 * the plan and shortfalls it keeps from one reconcile to the next.
 */
final class ReconcilePlanner {
  private final Placement placement;
  private final CoordinatorSettings settings;
  /**
   * How long a GPU on which a model failed to load is not asked to load it again: a failure there
   * (out of memory, draining) is retried, but not in a loop as fast as the GPU can refuse.
   */
  static final long LOAD_RETRY_BACKOFF_NANOS = 30_000_000_000L;

  private PlacementPlan plan = PlacementPlan.EMPTY;
  private List<Shortfall> shortfalls = List.of();

  ReconcilePlanner(CoordinatorSettings settings) {
    this.placement = new Placement(settings.placement());
    this.settings = settings;
  }

  /** Places anew at {@code nowNanos} and returns the steps towards the plan, in the order to send them. */
  List<Reconciler.Step> next(ClusterView view, long nowNanos) {
    List<Reconciler.GpuView> gpus = view.reconcilerView(nowNanos, LOAD_RETRY_BACKOFF_NANOS);
    List<Reconciler.ModelView> wanted = view.demandView(settings.defaultRequestTime().toNanos());
    PlacementResult result = placement.place(plan, view.placementView(),
        Reconciler.demands(wanted, gpus, settings.defaultSlo()));
    plan = result.plan();
    shortfalls = result.shortfalls();
    return Reconciler.steps(gpus, view.models.keySet(), plan);
  }

  /** The latest plan. */
  PlacementPlan plan() {
    return plan;
  }

  /** Why models of the latest plan got less than they asked for. */
  List<Shortfall> shortfalls() {
    return shortfalls;
  }
}
