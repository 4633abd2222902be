package dev.braid.coordinator.placement;

import dev.braid.coordinator.placement.PlacementAction.LoadOn;
import dev.braid.coordinator.placement.PlacementAction.UnloadFrom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides which GPUs host which models. Pure: no actor, no device, no clock; the same inputs in any
 * order give the same result.
 *
 * <p><b>Replicas.</b> A model wants {@code max(1, ceil(utilisation / targetUtilisation))} replicas
 * (see {@link ModelDemand#utilisation()}), each carrying an equal share of its load; at most one
 * per GPU.
 *
 * <p><b>Constraints.</b> Memory is hard: on every GPU the weights of its replicas fit in {@code
 * memory - reserve}, where the reserve is {@code reservePerGpuBytes} but at most a quarter of the
 * GPU's memory (so a small device, such as the CPU device of a small JVM, still holds models). Load is soft: a replica goes to a GPU that stays within the target
 * utilisation if there is one; if none is, it goes to the least loaded that has the memory and a
 * {@link Shortfall.Reason#OVER_TARGET_UTILISATION} says so, since serving overloaded (admission
 * refuses the excess) beats not serving.
 *
 * <p><b>Choosing a GPU</b> for a new replica, among healthy GPUs with the memory and no replica of
 * the model yet: within the load target first; then the highest fusion affinity (mean FLOP-share
 * overlap of fusion keys with the models already there), so models whose kernels fuse share a GPU;
 * then the lowest utilisation after placing; then the most free memory; then the lowest {@link
 * GpuId}. Models are placed largest weights first (then by name), which packs memory best.
 *
 * <p><b>Incremental.</b> Replicas of the current plan stay where they are when their GPU is still
 * healthy and they still fit; only these move: replicas on GPUs that left (no action: the GPU is
 * gone) or drain (unloaded after their new copy is loaded), replicas of unloaded models, surplus
 * replicas when a model's load fell (from the busiest GPUs), and rebalancing moves. <b>Rebalance
 * rule:</b> while the utilisation of the busiest healthy GPU exceeds that of the idlest by more
 * than {@code rebalanceThreshold}, move from the busiest to the idlest the replica whose share
 * {@code s} best halves the gap {@code g} (minimises {@code |g - 2s|}, with {@code 0 < s < g} so
 * the gap strictly narrows), at most {@code maxMovesPerPlan} moves. While the busiest GPU is
 * within the target utilisation, a replica moves only if it fuses at least as well at the
 * destination as with the models it leaves (fusion beats balance within the target, as when
 * placing); past the target, balance wins. So a GPU that joins an idle cluster gets nothing moved
 * to it; one that joins a loaded cluster takes load until the gap is within the threshold. A plan
 * fed back with the same inputs is a fixed point: no actions, same version.
 */
public final class Placement {
  /** Slack on utilisation comparisons so that rounding in shares never flips a decision. */
  private static final double EPSILON = 1e-9;

  private final PlacementSettings settings;

  public Placement(PlacementSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** Memory held back on {@code g}: the configured reserve, at most a quarter of its memory. */
  long reserveOf(GpuInfo g) {
    return Math.min(settings.reservePerGpuBytes(), g.memoryBytes() / 4);
  }

  /** Replicas {@code d} wants: enough that each stays within the target utilisation. */
  public int replicasWanted(ModelDemand d) {
    return Math.max(1, (int) Math.ceil(d.utilisation() / settings.targetUtilisation() - EPSILON));
  }

  /**
   * The plan for {@code models} on {@code gpus}, starting from {@code current}.
   *
   * @param current the plan in force; {@link PlacementPlan#EMPTY} at start
   * @param gpus every GPU the cluster has now; one that hosted replicas and is absent has left
   * @param models every model that should be served; one of {@code current} that is absent was unloaded
   */
  public PlacementResult place(PlacementPlan current, Collection<GpuInfo> gpus, Collection<ModelDemand> models) {
    TreeMap<GpuId, GpuInfo> known = index(gpus, GpuInfo::id, "GPU");
    TreeMap<String, ModelDemand> demand = index(models, ModelDemand::model, "model");
    TreeMap<GpuId, GpuLedger> ledgers = new TreeMap<>();
    known.values().stream()
        .filter(g -> g.state() == GpuInfo.State.HEALTHY)
        .forEach(g -> ledgers.put(g.id(), new GpuLedger(g, reserveOf(g))));

    keepWhatStillFits(current, demand, ledgers);
    dropSurplus(demand, ledgers);
    List<Shortfall> shortfalls = new ArrayList<>();
    Set<String> overTarget = new HashSet<>();
    placeMissing(demand, ledgers, shortfalls, overTarget);
    Set<String> movedFrom = rebalance(ledgers);

    TreeMap<String, List<GpuId>> replicas = new TreeMap<>();
    ledgers.values().forEach(l -> l.shares().keySet().forEach(
        m -> replicas.computeIfAbsent(m, k -> new ArrayList<>()).add(l.id())));
    for (ModelDemand d : demand.values()) {
      int placed = replicas.getOrDefault(d.model(), List.of()).size();
      if (placed > 0 && overTarget.contains(d.model())) {
        shortfalls.add(new Shortfall(d.model(), Shortfall.Reason.OVER_TARGET_UTILISATION, replicasWanted(d), placed,
            "model '" + d.model() + "' wants " + replicasWanted(d) + " replicas at utilisation "
                + String.format("%.3f", d.utilisation()) + "; a replica sits on a GPU past the target "
                + settings.targetUtilisation() + ": add GPUs or expect RESOURCE_EXHAUSTED under load"));
      }
      if (placed > 0 && d.deviceNanosPerRequest() > d.slo().toNanos()) {
        shortfalls.add(new Shortfall(d.model(), Shortfall.Reason.SLO_UNREACHABLE, replicasWanted(d), placed,
            "model '" + d.model() + "' needs " + d.deviceNanosPerRequest() + " ns of device time per request,"
                + " more than its SLO of " + d.slo().toNanos() + " ns"));
      }
    }
    shortfalls.sort(Comparator.comparing(Shortfall::model).thenComparing(Shortfall::reason));

    List<PlacementAction> actions = actions(current, known, replicas, movedFrom);
    PlacementPlan plan = actions.isEmpty() && replicas.equals(current.replicas())
        ? current
        : new PlacementPlan(current.version() + 1, replicas);
    return new PlacementResult(plan, actions, shortfalls);
  }

  /** Puts back each replica of {@code current} whose model is wanted and whose GPU is healthy and has room. */
  private void keepWhatStillFits(
      PlacementPlan current, Map<String, ModelDemand> demand, Map<GpuId, GpuLedger> ledgers) {
    for (Map.Entry<String, List<GpuId>> e : current.replicas().entrySet()) {
      ModelDemand d = demand.get(e.getKey());
      if (d == null) {
        continue;
      }
      double share = share(d);
      for (GpuId gpu : e.getValue()) {
        GpuLedger l = ledgers.get(gpu);
        if (l != null && l.fits(d)) {
          l.add(d, share);
        }
      }
    }
  }

  /** Removes replicas beyond what each model wants, from the busiest GPUs first (ties: higher id). */
  private void dropSurplus(Map<String, ModelDemand> demand, Map<GpuId, GpuLedger> ledgers) {
    for (ModelDemand d : demand.values()) {
      List<GpuLedger> hosting = new ArrayList<>(ledgers.values().stream().filter(l -> l.hosts(d.model())).toList());
      int surplus = hosting.size() - replicasWanted(d);
      hosting.sort(Comparator.comparingDouble(GpuLedger::utilisation).reversed()
          .thenComparing(GpuLedger::id, Comparator.reverseOrder()));
      for (int i = 0; i < surplus; i++) {
        hosting.get(i).remove(d.model());
      }
      // The surviving replicas now each carry a larger share of the model's load.
      double share = share(d);
      for (GpuLedger l : ledgers.values()) {
        if (l.hosts(d.model()) && l.shares().get(d.model()) != share) {
          l.remove(d.model());
          l.add(d, share);
        }
      }
    }
  }

  private void placeMissing(Map<String, ModelDemand> demand, Map<GpuId, GpuLedger> ledgers,
      List<Shortfall> shortfalls, Set<String> overTarget) {
    List<ModelDemand> order = new ArrayList<>(demand.values());
    order.sort(Comparator.comparingLong(ModelDemand::weightsBytes).reversed().thenComparing(ModelDemand::model));
    for (ModelDemand d : order) {
      int wanted = replicasWanted(d);
      double share = share(d);
      int placed = (int) ledgers.values().stream().filter(l -> l.hosts(d.model())).count();
      while (placed < wanted) {
        Optional<GpuLedger> best = ledgers.values().stream().filter(l -> l.fits(d)).min(preference(d, share));
        if (best.isEmpty()) {
          shortfalls.add(cannotPlace(d, wanted, placed, ledgers));
          break;
        }
        GpuLedger l = best.get();
        if (l.utilisation() + share > settings.targetUtilisation() + EPSILON) {
          overTarget.add(d.model());
        }
        l.add(d, share);
        placed++;
      }
      if (placed > 0 && placed < wanted) {
        // Fewer replicas than wanted carry the whole load between them.
        double actual = d.utilisation() / placed;
        for (GpuLedger l : ledgers.values()) {
          if (l.hosts(d.model())) {
            l.remove(d.model());
            l.add(d, actual);
            if (l.utilisation() > settings.targetUtilisation() + EPSILON) {
              overTarget.add(d.model());
            }
          }
        }
      }
    }
  }

  /** Best candidate first: within target, fusion affinity, lower utilisation after, more free memory, id. */
  private Comparator<GpuLedger> preference(ModelDemand d, double share) {
    double target = settings.targetUtilisation() + EPSILON;
    return Comparator.<GpuLedger>comparingInt(l -> l.utilisation() + share <= target ? 0 : 1)
        .thenComparing(Comparator.<GpuLedger>comparingDouble(l -> l.fusionAffinity(d)).reversed())
        .thenComparingDouble(l -> l.utilisation() + share)
        .thenComparing(Comparator.comparingLong(GpuLedger::freeBytes).reversed())
        .thenComparing(GpuLedger::id);
  }

  private Shortfall cannotPlace(ModelDemand d, int wanted, int placed, Map<GpuId, GpuLedger> ledgers) {
    if (ledgers.isEmpty()) {
      return new Shortfall(d.model(), Shortfall.Reason.NO_HEALTHY_GPU, wanted, placed,
          "model '" + d.model() + "' cannot be placed: the cluster has no healthy GPU");
    }
    Optional<GpuLedger> roomiest = ledgers.values().stream()
        .filter(l -> !l.hosts(d.model()))
        .max(Comparator.comparingLong(GpuLedger::freeBytes).thenComparing(GpuLedger::id, Comparator.reverseOrder()));
    String largest = roomiest
        .map(l -> "the largest free on a GPU without it is " + l.freeBytes() + " bytes (" + l.id() + ")")
        .orElse("every healthy GPU already hosts a replica of it");
    return new Shortfall(d.model(), Shortfall.Reason.NO_GPU_WITH_ENOUGH_MEMORY, wanted, placed,
        "model '" + d.model() + "' needs " + d.weightsBytes() + " bytes for its weights (replica " + (placed + 1)
            + " of " + wanted + "), but " + largest + " after a reserve of " + settings.reservePerGpuBytes()
            + " bytes per GPU (at most a quarter of its memory)");
  }

  /** Moves replicas from the busiest to the idlest GPU while their gap exceeds the threshold; returns "model@gpu" moved away. */
  private Set<String> rebalance(TreeMap<GpuId, GpuLedger> ledgers) {
    Set<String> movedFrom = new HashSet<>();
    for (int moves = 0; moves < settings.maxMovesPerPlan() && ledgers.size() > 1; moves++) {
      GpuLedger busiest = ledgers.values().stream()
          .max(Comparator.comparingDouble(GpuLedger::utilisation).thenComparing(GpuLedger::id, Comparator.reverseOrder()))
          .orElseThrow();
      GpuLedger idlest = ledgers.values().stream()
          .min(Comparator.comparingDouble(GpuLedger::utilisation).thenComparing(GpuLedger::id))
          .orElseThrow();
      double gap = busiest.utilisation() - idlest.utilisation();
      if (gap <= settings.rebalanceThreshold() + EPSILON) {
        break;
      }
      boolean overTarget = busiest.utilisation() > settings.targetUtilisation() + EPSILON;
      Optional<Map.Entry<String, Double>> pick = busiest.shares().entrySet().stream()
          .filter(e -> e.getValue() > EPSILON && e.getValue() < gap - EPSILON)
          .filter(e -> idlest.fits(busiest.demand(e.getKey())))
          .filter(e -> overTarget || keepsAffinity(busiest, idlest, busiest.demand(e.getKey())))
          .min(Comparator.<Map.Entry<String, Double>>comparingDouble(e -> Math.abs(gap - 2 * e.getValue()))
              .thenComparing(Map.Entry::getKey));
      if (pick.isEmpty()) {
        break;
      }
      String model = pick.get().getKey();
      ModelDemand d = busiest.demand(model);
      double share = pick.get().getValue();
      busiest.remove(model);
      idlest.add(d, share);
      movedFrom.add(model + "@" + busiest.id());
    }
    return movedFrom;
  }

  /** Whether {@code d} fuses at least as well on {@code to} as with the other models on {@code from}. */
  private static boolean keepsAffinity(GpuLedger from, GpuLedger to, ModelDemand d) {
    return to.fusionAffinity(d) >= from.fusionAffinityWithout(d) - EPSILON;
  }

  private List<PlacementAction> actions(PlacementPlan current, Map<GpuId, GpuInfo> known,
      TreeMap<String, List<GpuId>> next, Set<String> movedFrom) {
    List<PlacementAction> freeing = new ArrayList<>();
    List<PlacementAction> loads = new ArrayList<>();
    List<PlacementAction> afterLoads = new ArrayList<>();
    for (Map.Entry<String, List<GpuId>> e : current.replicas().entrySet()) {
      List<GpuId> kept = next.getOrDefault(e.getKey(), List.of());
      for (GpuId gpu : e.getValue()) {
        GpuInfo info = known.get(gpu);
        if (info == null || kept.contains(gpu)) {
          continue; // gone with its node, or still there
        }
        boolean keepServingUntilReplaced = info.state() == GpuInfo.State.DRAINING
            || movedFrom.contains(e.getKey() + "@" + gpu);
        (keepServingUntilReplaced ? afterLoads : freeing).add(new UnloadFrom(gpu, e.getKey()));
      }
    }
    next.forEach((model, gpus) -> gpus.stream()
        .filter(g -> !current.hosts(model, g))
        .forEach(g -> loads.add(new LoadOn(g, model))));
    List<PlacementAction> all = new ArrayList<>(freeing);
    all.addAll(loads);
    all.addAll(afterLoads);
    return all;
  }

  private double share(ModelDemand d) {
    return d.utilisation() / replicasWanted(d);
  }

  private static <K extends Comparable<K>, V> TreeMap<K, V> index(
      Collection<V> values, java.util.function.Function<V, K> key, String what) {
    TreeMap<K, V> map = new TreeMap<>();
    for (V v : values) {
      if (map.put(key.apply(v), v) != null) {
        throw new IllegalArgumentException(what + " " + key.apply(v) + " is listed twice");
      }
    }
    return map;
  }
}
