package dev.braid.coordinator.cluster;

import dev.braid.coordinator.placement.GpuId;
import dev.braid.coordinator.placement.Reconciler;
import dev.braid.coordinator.placement.Shortfall;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the {@link Coordinator} knows of the cluster: its GPUs (latest report, reachability, what
 * each holds, loads and unloads in progress, drains) and the models it should serve, with what is
 * read from them: the serving replicas, the reconciler's view, the routing table and the reports
 * for status. State and reads only: the coordinator changes it as messages arrive and sends the
 * messages.
 */
final class ClusterView {
  /** One GPU endpoint. */
  static final class Gpu {
    final ActorRef<GpuWire.Command> ref;
    GpuWire.Report report;
    boolean unreachable;
    boolean draining;
    boolean drainSent;
    boolean drained;
    final Set<String> loading = new HashSet<>();
    final Set<String> unloading = new HashSet<>();
    final Map<String, GpuWire.ModelInfo> loaded = new TreeMap<>();
    /** Per model, the request count of its previous report, for the arrival rate. */
    final Map<String, Long> requestsSeen = new HashMap<>();
    /** Per model, when loading it here last failed: not tried here again before the backoff. */
    final Map<String, Long> failedAt = new HashMap<>();

    Gpu(ActorRef<GpuWire.Command> ref) {
      this.ref = ref;
    }

    GpuId id() {
      return new GpuId(report.nodeAddress(), report.ordinal());
    }

    boolean usable() {
      return report != null && !unreachable && report.healthy();
    }

    /** Whether loading {@code model} here failed within {@code backoffNanos} of {@code now}. */
    boolean failedRecently(String model, long now, long backoffNanos) {
      Long at = failedAt.get(model);
      return at != null && now - at < backoffNanos;
    }

    /** Takes new replicas and new requests. */
    boolean serving() {
      return usable() && !draining;
    }
  }

  /** One model the cluster should serve. */
  static final class Model {
    final String name;
    final long weightsEstimate;
    double requestsPerSecond;
    long requestsSinceTick;
    String failure = "";
    final List<ActorRef<CoordinatorWire.ModelReply>> waiting = new ArrayList<>();

    Model(String name, long weightsEstimate) {
      this.name = name;
      this.weightsEstimate = weightsEstimate;
    }
  }

  /** The GPUs, by endpoint, in the order they joined. */
  final Map<ActorRef<GpuWire.Command>, Gpu> gpus = new LinkedHashMap<>();

  /** The models the cluster should serve, by name. */
  final TreeMap<String, Model> models = new TreeMap<>();

  /** The GPUs reported, reachable and healthy. */
  List<Gpu> usable() {
    return gpus.values().stream().filter(Gpu::usable).toList();
  }

  /** The reported GPUs of the node at {@code address}. */
  List<Gpu> onNode(String address) {
    return gpus.values().stream().filter(g -> g.report != null && g.report.nodeAddress().equals(address)).toList();
  }

  /**
   * The GPUs holding {@code model} that take requests; for routing, a draining GPU only while no
   * other serves it.
   */
  List<Gpu> replicas(String model, boolean forRouting) {
    List<Gpu> holding = gpus.values().stream()
        .filter(g -> g.usable() && g.loaded.containsKey(model) && !g.unloading.contains(model) && !g.drainSent)
        .toList();
    if (!forRouting) {
      return holding;
    }
    List<Gpu> serving = holding.stream().filter(g -> !g.draining).toList();
    return serving.isEmpty() ? holding : serving;
  }

  /** The figures of {@code model} as the first GPU that holds it measured them. */
  Optional<GpuWire.ModelInfo> measured(String model) {
    return gpus.values().stream().map(g -> g.loaded.get(model)).filter(i -> i != null).findFirst();
  }

  /** Whether a GPU loads {@code model} now, or one that has not reported yet may take it. */
  boolean mayStillLoad(String model) {
    return gpus.values().stream().anyMatch(g -> g.loading.contains(model) || g.report == null && !g.unreachable);
  }

  /** The usable GPUs as the {@link Reconciler} sees them at {@code now}. */
  List<Reconciler.GpuView> reconcilerView(long now, long retryBackoffNanos) {
    return usable().stream().map(g -> new Reconciler.GpuView(g.id(), g.draining, g.drainSent, g.loaded.keySet(),
        g.loading, g.unloading, g.failedAt.keySet().stream()
            .filter(model -> g.failedRecently(model, now, retryBackoffNanos)).collect(Collectors.toSet())))
        .toList();
  }

  /** The models with the figures placement weighs: measured where a GPU holds them, else estimated. */
  List<Reconciler.ModelView> demandView(long defaultRequestNanos) {
    return models.values().stream().map(m -> {
      Optional<GpuWire.ModelInfo> measured = measured(m.name);
      return new Reconciler.ModelView(m.name, !m.failure.isEmpty(),
          measured.map(GpuWire.ModelInfo::weightsBytes).orElse(m.weightsEstimate), m.requestsPerSecond,
          measured.map(GpuWire.ModelInfo::requestNanos).orElse(defaultRequestNanos));
    }).toList();
  }

  /**
   * The routing table's entries: for each model its serving replicas with their load figures, and
   * its state (READY; LOADING while a GPU loads it or one that may take it has not reported;
   * UNAVAILABLE with the load failure or placement's shortfall).
   */
  Map<String, RoutingTableWire.Route> routes(List<Shortfall> shortfalls, long defaultRequestNanos) {
    Map<String, RoutingTableWire.Route> routes = new TreeMap<>();
    for (Model m : models.values()) {
      List<RoutingTableWire.Replica> replicas = new ArrayList<>();
      long version = 0;
      for (Gpu g : replicas(m.name, true)) {
        GpuWire.ModelInfo info = g.loaded.get(m.name);
        version = Math.max(version, info.version());
        replicas.add(new RoutingTableWire.Replica(g.ref.<InferenceWire.Infer>narrow(), g.report.nodeAddress(),
            g.report.ordinal(), g.report.queueDepth(), g.report.predictedQueueNanos(),
            Math.min(1, Math.max(0, g.report.sloAttainment()))));
      }
      String state;
      String reason = "";
      if (!replicas.isEmpty()) {
        state = "READY";
      } else if (!m.failure.isEmpty()) {
        state = "UNAVAILABLE";
        reason = "failed to load: " + m.failure;
      } else if (mayStillLoad(m.name)) {
        state = "LOADING";
      } else {
        state = "UNAVAILABLE";
        reason = shortfalls.stream().filter(s -> s.model().equals(m.name)).map(Shortfall::message).findFirst()
            .orElse("no GPU serves it yet");
      }
      long requestNanos = measured(m.name).map(GpuWire.ModelInfo::requestNanos).orElse(defaultRequestNanos);
      routes.put(m.name, new RoutingTableWire.Route(m.name, version, requestNanos, replicas, state, reason));
    }
    return routes;
  }

  /**
   * Each GPU's latest report, with the models it holds as its answers to loads and unloads since
   * say (a report taken before a load finished does not list that model yet).
   */
  List<GpuWire.Report> reports() {
    return gpus.values().stream().filter(g -> g.report != null).map(g -> {
      GpuWire.Report r = g.report;
      return new GpuWire.Report(r.gpu(), r.nodeAddress(), r.ordinal(), r.device(), r.memoryBytes(), r.allocatedBytes(),
          Map.copyOf(g.loaded), r.policy(), r.queueDepth(), r.predictedQueueNanos(), r.utilisation(), r.sloAttainment(),
          r.completed(), r.failed(), r.restarts(), r.draining() || g.draining, r.healthy(), r.unhealthyReason());
    }).toList();
  }

  static String describe(Gpu g) {
    return g.report != null ? g.report.gpu() : g.ref.path().toString();
  }
}
