package dev.braid.coordinator.cluster;

import dev.braid.coordinator.cluster.ClusterView.Gpu;
import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.placement.Shortfall;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The routing table's entries the {@link Coordinator} publishes, read from its {@link
 * ClusterView}: for each model wanted, its serving replicas ({@link ClusterView#replicas} for
 * routing) with each GPU's load figures, and its state: READY with a replica; else UNAVAILABLE
 * with the load failure; else LOADING while a GPU loads it or one that may take it has not
 * reported; else UNAVAILABLE with placement's shortfall. Pure: no actor, no clock.
 */
final class ClusterRoutes {
  private ClusterRoutes() {}

  /** Every model's route, by name; {@code defaultRequestNanos} where no GPU measured a model yet. */
  static Map<String, RoutingTableWire.Route> of(ClusterView view, List<Shortfall> shortfalls,
      long defaultRequestNanos) {
    Map<String, RoutingTableWire.Route> routes = new TreeMap<>();
    for (Model m : view.models.values()) {
      routes.put(m.name, route(view, m, shortfalls, defaultRequestNanos));
    }
    return routes;
  }

  private static RoutingTableWire.Route route(ClusterView view, Model m, List<Shortfall> shortfalls,
      long defaultRequestNanos) {
    List<RoutingTableWire.Replica> replicas = new ArrayList<>();
    long version = 0;
    for (Gpu g : view.replicas(m.name, true)) {
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
    } else if (view.mayStillLoad(m.name)) {
      state = "LOADING";
    } else {
      state = "UNAVAILABLE";
      reason = shortfalls.stream().filter(s -> s.model().equals(m.name)).map(Shortfall::message).findFirst()
          .orElse("no GPU serves it yet");
    }
    long requestNanos = view.measured(m.name).map(GpuWire.ModelInfo::requestNanos).orElse(defaultRequestNanos);
    return new RoutingTableWire.Route(m.name, version, requestNanos, replicas, state, reason);
  }
}
