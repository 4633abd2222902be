package dev.braid.coordinator.placement;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the coordinator asks of its GPUs to move the cluster towards a placement plan. Pure: no
 * actor, no clock, no messages; the coordinator gathers the view, asks {@link Placement} for the
 * plan and sends the {@link Step}s this returns, in order.
 *
 * <p><b>The rules</b>, in the order their steps come:
 *
 * <ol>
 *   <li><b>Loads:</b> every replica of the plan on a GPU that is not draining and neither holds nor
 *       is loading the model, unless loading it there failed lately.
 *   <li><b>Unloads:</b> a model held by a GPU that the plan no longer puts there (or that drains)
 *       is unloaded when the cluster no longer wants the model at all, or, on a GPU that is not
 *       draining, once another GPU the plan does put it on serves it, so a move never leaves the
 *       model without a replica. A draining GPU keeps its models until its drain.
 *   <li><b>Drains:</b> a draining GPU whose drain was not sent yet gets it once each model it holds
 *       is unwanted, served by another GPU that is not draining, or cannot be placed elsewhere (no
 *       other GPU of the plan for it that is not draining and did not fail to load it lately).
 * </ol>
 *
 * Each step changes the view the later rules see, as sending it changes the coordinator's state:
 * an unload takes its replica out of the serving ones, a drain sent takes the GPU's replicas out.
 * "Serving" means held, not being unloaded, on a GPU whose drain was not sent.
 */
public final class Reconciler {
  private Reconciler() {}

  /**
   * One usable GPU (reported, reachable, healthy) as the coordinator knows it.
   *
   * @param loaded the models it holds, by its answers to loads and unloads
   * @param loading the models it was asked to load and has not answered
   * @param unloading the models it was asked to unload and has not answered
   * @param failedRecently the models whose load failed here within the retry back-off
   */
  public record GpuView(GpuId id, boolean draining, boolean drainSent, Set<String> loaded, Set<String> loading,
      Set<String> unloading, Set<String> failedRecently) {
    public GpuView {
      Objects.requireNonNull(id, "id");
      loaded = Set.copyOf(loaded);
      loading = Set.copyOf(loading);
      unloading = Set.copyOf(unloading);
      failedRecently = Set.copyOf(failedRecently);
    }
  }

  /**
   * One model the cluster should serve, with the figures placement weighs.
   *
   * @param failed whether its last load failed (and it serves nowhere since)
   * @param weightsBytes measured on a GPU that holds it, else estimated from the repository
   * @param requestNanos measured on a GPU that holds it, else the configured default
   * @param fusion which super-kernels its ops can join, from its kernel plan
   */
  public record ModelView(String name, boolean failed, long weightsBytes, double requestsPerSecond,
      long requestNanos, FusionProfile fusion) {
    public ModelView {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(fusion, "fusion");
    }
  }

  /** What the coordinator sends one GPU. */
  public sealed interface Step {
    GpuId gpu();

    /** Load {@code model} on {@code gpu}. */
    record Load(GpuId gpu, String model) implements Step {}

    /** Unload {@code model} from {@code gpu}. */
    record Unload(GpuId gpu, String model) implements Step {}

    /** Drain {@code gpu}: it finishes its work and takes no more. */
    record Drain(GpuId gpu) implements Step {}
  }

  /**
   * The demand placement sees: every model but one that failed on every GPU that could hold it
   * (every usable one not draining) within the back-off and serves nowhere, which waits until it
   * is asked for again or the back-off ends.
   */
  public static List<ModelDemand> demands(List<ModelView> models, List<GpuView> gpus, Duration slo) {
    List<ModelDemand> demands = new ArrayList<>();
    for (ModelView m : models) {
      boolean servesNowhere = gpus.stream().noneMatch(g -> serves(g, m.name()));
      if (m.failed() && servesNowhere
          && gpus.stream().filter(g -> !g.draining()).allMatch(g -> g.failedRecently().contains(m.name()))) {
        continue;
      }
      demands.add(new ModelDemand(m.name(), m.weightsBytes(), m.requestsPerSecond(), m.requestNanos(), slo,
          m.fusion()));
    }
    return demands;
  }

  /**
   * The steps towards {@code plan}, loads first, then unloads, then drains (see the class comment).
   *
   * @param gpus the usable GPUs, in the order the coordinator keeps them (ties go to the earlier)
   * @param wanted the models the cluster should serve
   */
  public static List<Step> steps(List<GpuView> gpus, Set<String> wanted, PlacementPlan plan) {
    Map<GpuId, Gpu> byId = new LinkedHashMap<>();
    for (GpuView v : gpus) {
      byId.putIfAbsent(v.id(), new Gpu(v));
    }
    List<Gpu> all = List.copyOf(byId.values());
    List<Step> steps = new ArrayList<>();

    plan.replicas().forEach((model, ids) -> {
      for (GpuId id : ids) {
        Gpu g = byId.get(id);
        if (g != null && !g.view.draining() && !g.view.loaded().contains(model) && !g.loading.contains(model)
            && !g.view.failedRecently().contains(model)) {
          g.loading.add(model);
          steps.add(new Step.Load(id, model));
        }
      }
    });
    for (Gpu g : all) {
      for (String model : new TreeSet<>(g.view.loaded())) {
        if (g.unloading.contains(model) || plan.hosts(model, g.view.id()) && !g.view.draining()) {
          continue;
        }
        boolean servesElsewhere = all.stream()
            .anyMatch(o -> o != g && o.serving(model) && plan.hosts(model, o.view.id()));
        if (!wanted.contains(model) || servesElsewhere && !g.view.draining()) {
          g.unloading.add(model);
          steps.add(new Step.Unload(g.view.id(), model));
        }
      }
    }
    for (Gpu g : all) {
      if (!g.view.draining() || g.drainSent) {
        continue;
      }
      boolean covered = g.view.loaded().stream().allMatch(model -> !wanted.contains(model)
          || all.stream().anyMatch(o -> o != g && o.serving(model) && !o.view.draining())
          || plan.replicasOf(model).stream().map(byId::get).noneMatch(o -> o != null && o != g
              && !o.view.draining() && !o.view.failedRecently().contains(model)));
      if (covered) {
        g.drainSent = true;
        steps.add(new Step.Drain(g.view.id()));
      }
    }
    return steps;
  }

  private static boolean serves(GpuView g, String model) {
    return g.loaded().contains(model) && !g.unloading().contains(model) && !g.drainSent();
  }

  /** A GPU's view with what the steps so far change of it. */
  private static final class Gpu {
    final GpuView view;
    final Set<String> loading;
    final Set<String> unloading;
    boolean drainSent;

    Gpu(GpuView view) {
      this.view = view;
      this.loading = new HashSet<>(view.loading());
      this.unloading = new HashSet<>(view.unloading());
      this.drainSent = view.drainSent();
    }

    boolean serving(String model) {
      return view.loaded().contains(model) && !unloading.contains(model) && !drainSent;
    }
  }
}
