package dev.braid.coordinator.cluster;

import dev.braid.coordinator.placement.GpuInfo;
import dev.braid.coordinator.placement.Placement;
import dev.braid.coordinator.placement.PlacementPlan;
import dev.braid.coordinator.placement.PlacementResult;
import dev.braid.coordinator.placement.Reconciler;
import dev.braid.coordinator.placement.Shortfall;
import dev.braid.protocol.cluster.GpuWire;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One reconcile's decisions, from the {@link Coordinator}'s {@link ClusterView}: the models (less
 * those that failed everywhere lately) placed on the usable GPUs by {@link Placement}, starting
 * from the previous plan, and the {@link Reconciler}'s steps towards the new one. The view is read
 * into their inputs here ({@link #gpus}, {@link #placementGpus}, {@link #demand}). Pure but for
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
    List<Reconciler.GpuView> gpus = gpus(view, nowNanos, LOAD_RETRY_BACKOFF_NANOS);
    List<Reconciler.ModelView> wanted = demand(view, settings.defaultRequestTime().toNanos());
    PlacementResult result = placement.place(plan, placementGpus(view),
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

  /** {@code view}'s usable GPUs as the {@link Reconciler} sees them at {@code now}. */
  static List<Reconciler.GpuView> gpus(ClusterView view, long now, long retryBackoffNanos) {
    return view.usable().stream().map(g -> new Reconciler.GpuView(g.id(), g.draining, g.drainSent,
        g.loaded.keySet(), g.loading, g.unloading, g.failedAt.keySet().stream()
            .filter(model -> g.failedRecently(model, now, retryBackoffNanos)).collect(Collectors.toSet())))
        .toList();
  }

  /** {@code view}'s usable GPUs as placement sees them. */
  static List<GpuInfo> placementGpus(ClusterView view) {
    return view.usable().stream().map(g -> new GpuInfo(g.id(), g.report.device(), g.report.memoryBytes(),
        Optional.empty(), g.draining ? GpuInfo.State.DRAINING : GpuInfo.State.HEALTHY)).toList();
  }

  /** {@code view}'s models with the figures placement weighs: measured where a GPU holds them, else estimated. */
  static List<Reconciler.ModelView> demand(ClusterView view, long defaultRequestNanos) {
    return view.models.values().stream().map(m -> {
      Optional<GpuWire.ModelInfo> measured = view.measured(m.name);
      return new Reconciler.ModelView(m.name, !m.failure.isEmpty(),
          measured.map(GpuWire.ModelInfo::weightsBytes).orElse(m.weightsEstimate), m.requestsPerSecond,
          measured.map(GpuWire.ModelInfo::requestNanos).orElse(defaultRequestNanos), m.fusion);
    }).toList();
  }
}
