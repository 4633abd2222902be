package dev.braid.coordinator.cluster;

import dev.braid.coordinator.cluster.ClusterClient.ModelView;
import dev.braid.coordinator.placement.GpuId;
import dev.braid.coordinator.routing.ModelRoute;
import dev.braid.coordinator.routing.ReplicaLoad;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a frontend routes by, derived from the coordinator's latest routing table less the nodes
 * this frontend sees down: the router's routes, each replica's endpoint and node, and each model's
 * view for health and metadata. Pure: the {@link ClusterClient} derives anew after every table and
 * every membership change.
 *
 * <p>A model the coordinator lists READY whose every replica is on a node that is down is
 * UNAVAILABLE here, with that reason, until the coordinator's next table or the node's return.
 *
 * @param routes one per model of the table, with the replicas on nodes that are up
 * @param endpoints each replica's GPU endpoint
 * @param nodeOf each replica's node address
 * @param views each model as {@link ClusterClient#model} tells it
 */
record TableDerivation(List<ModelRoute> routes, Map<GpuId, ActorRef<InferenceWire.Infer>> endpoints,
    Map<GpuId, String> nodeOf, Map<String, ModelView> views) {
  TableDerivation {
    routes = List.copyOf(routes);
    endpoints = Map.copyOf(endpoints);
    nodeOf = Map.copyOf(nodeOf);
    views = Map.copyOf(views);
  }

  /** Derives from {@code table} without the replicas on the nodes in {@code downNodes}. */
  static TableDerivation of(RoutingTableWire table, Set<String> downNodes) {
    List<ModelRoute> routes = new ArrayList<>();
    Map<GpuId, ActorRef<InferenceWire.Infer>> refs = new HashMap<>();
    Map<GpuId, String> nodes = new HashMap<>();
    Map<String, ModelView> views = new HashMap<>();
    for (RoutingTableWire.Route r : table.models().values()) {
      List<ReplicaLoad> loads = new ArrayList<>();
      for (RoutingTableWire.Replica x : r.replicas()) {
        if (downNodes.contains(x.nodeAddress())) {
          continue;
        }
        GpuId id = new GpuId(x.nodeAddress(), x.ordinal());
        refs.put(id, x.gpu());
        nodes.put(id, x.nodeAddress());
        loads.add(new ReplicaLoad(id, x.queueDepth(), x.predictedQueueNanos(), x.sloAttainment()));
      }
      routes.add(new ModelRoute(r.model(), r.requestNanos(), loads));
      String state = r.state().equals("READY") && loads.isEmpty() ? "UNAVAILABLE" : r.state();
      String reason = loads.isEmpty() && r.reason().isEmpty() && !r.replicas().isEmpty()
          ? "every replica is on a node that is unreachable" : r.reason();
      views.put(r.model(), new ModelView(r.model(), state, r.modelVersion(), reason));
    }
    return new TableDerivation(routes, refs, nodes, views);
  }
}
