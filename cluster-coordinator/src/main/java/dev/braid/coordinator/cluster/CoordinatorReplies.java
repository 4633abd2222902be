package dev.braid.coordinator.cluster;

import dev.braid.coordinator.cluster.ClusterView.Gpu;
import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.placement.Shortfall;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.pekko.cluster.ClusterEvent.CurrentClusterState;
import org.apache.pekko.cluster.Member;

/**
 * What the {@link Coordinator} answers its callers (the repository API, drains, policy changes,
 * status), decided from its {@link ClusterView} and a snapshot of the cluster's membership. Pure:
 * the coordinator sends what this returns.
 */
final class CoordinatorReplies {
  private CoordinatorReplies() {}

  /** A load of a model the repository does not hold. */
  static CoordinatorWire.ModelReply notInRepository(String model, List<String> available) {
    return new CoordinatorWire.ModelReply(model, "NOT_FOUND", 0,
        "model '" + model + "' not found in the repository; available models: " + available);
  }

  /** An unload of a model the cluster does not serve. */
  static CoordinatorWire.ModelReply notLoaded(String model, Collection<String> loaded) {
    return new CoordinatorWire.ModelReply(model, "NOT_FOUND", 0,
        "model '" + model + "' is not loaded; loaded models: " + loaded);
  }

  /** What a load's waiters hear when the model is unloaded before it served. */
  static CoordinatorWire.ModelReply unloadedWhileLoading(String model) {
    return new CoordinatorWire.ModelReply(model, "UNAVAILABLE", 0,
        "model '" + model + "' was unloaded while it loaded");
  }

  /** An unload done: no GPU that was asked holds the model any more. */
  static CoordinatorWire.ModelReply unloaded(String model) {
    return new CoordinatorWire.ModelReply(model, "OK", 0, "model '" + model + "' unloaded");
  }

  /**
   * The answer to the loads waiting for {@code m}, once there is one: OK with the version once a
   * GPU serves it; FAILED_PRECONDITION with the reason once it failed to load and serves nowhere;
   * UNAVAILABLE with placement's shortfall once nothing loads it, no GPU is still to report and
   * placement could place no replica. Empty while it may still load.
   */
  static Optional<CoordinatorWire.ModelReply> loadAnswer(Model m, ClusterView view, List<Shortfall> shortfalls) {
    List<Gpu> serving = view.replicas(m.name, true);
    if (!serving.isEmpty()) {
      long version = serving.get(0).loaded.get(m.name).version();
      return Optional.of(new CoordinatorWire.ModelReply(m.name, "OK", version,
          "model '" + m.name + "' version " + version + " serves on " + serving.size() + " GPU(s)"));
    }
    if (!m.failure.isEmpty()) {
      return Optional.of(new CoordinatorWire.ModelReply(m.name, "FAILED_PRECONDITION", 0,
          "model '" + m.name + "' failed to load: " + m.failure));
    }
    if (view.mayStillLoad(m.name)) {
      return Optional.empty();
    }
    return shortfalls.stream().filter(s -> s.model().equals(m.name) && s.replicasPlaced() == 0).findFirst()
        .map(s -> new CoordinatorWire.ModelReply(m.name, "UNAVAILABLE", 0, s.message()));
  }

  /** A drain of a node with no GPUs: done if it is a member, refused if it is not. */
  static CoordinatorWire.DrainReply nothingToDrain(String address, List<String> members) {
    return members.contains(address)
        ? new CoordinatorWire.DrainReply(address, true,
            "node " + address + " has no GPUs: nothing to drain, safe to remove")
        : new CoordinatorWire.DrainReply(address, false,
            "unknown node " + address + ": not a member of the cluster; members: " + members);
  }

  /**
   * The answer to a drain once every GPU of the node is drained; empty before. A node that is
   * unreachable, or whose GPUs the view forgot while it was, is not drained: it may come back
   * with its models and its work (once it is removed from the cluster, {@link #leftWhileDraining}).
   */
  static Optional<CoordinatorWire.DrainReply> drainAnswer(String address, List<Gpu> onNode) {
    if (onNode.isEmpty() || !onNode.stream().allMatch(g -> g.drained && !g.unreachable)) {
      return Optional.empty();
    }
    return Optional.of(new CoordinatorWire.DrainReply(address, true,
        "node " + address + " is drained: its models serve elsewhere and it holds no work; safe to remove"));
  }

  /** The answer to a drain whose node was removed from the cluster before it drained. */
  static CoordinatorWire.DrainReply leftWhileDraining(String address) {
    return new CoordinatorWire.DrainReply(address, true,
        "node " + address + " left the cluster while it drained: nothing of it is left to remove");
  }

  /** A policy change for a GPU that has not reported (or does not exist), naming those that have. */
  static CoordinatorWire.PolicyResult noSuchGpu(String gpu, List<String> reported) {
    return new CoordinatorWire.PolicyResult(false, List.of(), "no GPU " + gpu + "; GPUs: " + reported);
  }

  /** A policy change once every GPU asked answered (or did not in time): accepted only if every one accepted. */
  static CoordinatorWire.PolicyResult policyResult(String policy, List<GpuWire.PolicyReply> replies) {
    List<String> refused = replies.stream().filter(r -> !r.accepted()).map(r -> r.gpu() + ": " + r.message()).toList();
    return new CoordinatorWire.PolicyResult(refused.isEmpty(), replies, refused.isEmpty()
        ? "policy " + policy + " set on " + replies.size() + " GPU(s)" : String.join("; ", refused));
  }

  /**
   * One member as status shows it: "Unreachable" or its membership status, its roles but the data
   * centre's, sorted, and its drain: "" when none of its GPUs drains, "drained" once every one of
   * them is drained, else "draining".
   */
  static CoordinatorWire.NodeStatus node(String address, String memberStatus, boolean unreachable,
      Collection<String> roles, List<Gpu> onNode) {
    String drain = onNode.stream().noneMatch(g -> g.draining) ? ""
        : onNode.stream().allMatch(g -> g.drained) ? "drained" : "draining";
    return new CoordinatorWire.NodeStatus(address, unreachable ? "Unreachable" : memberStatus,
        new TreeSet<>(roles).stream().filter(r -> !r.startsWith("dc-")).toList(), drain);
  }

  /** The addresses of the cluster's members in {@code state}. */
  static List<String> members(CurrentClusterState state) {
    List<String> members = new ArrayList<>();
    state.getMembers().forEach(member -> members.add(member.address().toString()));
    return members;
  }

  /**
   * The cluster's status: each member of {@code state} ({@link #node}), each GPU's latest report
   * ({@link #reports}) and each model of the last table published.
   */
  static CoordinatorWire.ClusterStatus status(String coordinator, long tableVersion, CurrentClusterState state,
      ClusterView view, RoutingTableWire lastTable) {
    Set<Member> unreachable = state.getUnreachable();
    List<CoordinatorWire.NodeStatus> nodes = new ArrayList<>();
    for (Member member : state.getMembers()) {
      String address = member.address().toString();
      nodes.add(node(address, member.status().toString(), unreachable.contains(member), member.getRoles(),
          view.onNode(address)));
    }
    return new CoordinatorWire.ClusterStatus(coordinator, tableVersion, nodes, reports(view), models(lastTable));
  }

  /**
   * Each GPU's latest report in {@code view}, with the models it holds as its answers to loads and
   * unloads since say (a report asked before a load's answer came does not overrule it).
   */
  static List<GpuWire.Report> reports(ClusterView view) {
    return view.reported().stream().map(g -> {
      GpuWire.Report r = g.report;
      return new GpuWire.Report(r.gpu(), r.nodeAddress(), r.ordinal(), r.device(), r.memoryBytes(), r.allocatedBytes(),
          Map.copyOf(g.loaded), r.policy(), r.queueDepth(), r.predictedQueueNanos(), r.utilisation(), r.sloAttainment(),
          r.completed(), r.failed(), r.restarts(), r.draining() || g.draining, r.healthy(), r.unhealthyReason());
    }).toList();
  }

  /** The models of the last table published, by name; none before the first. */
  static List<CoordinatorWire.ModelStatus> models(RoutingTableWire table) {
    List<CoordinatorWire.ModelStatus> models = new ArrayList<>();
    if (table != null) {
      for (RoutingTableWire.Route r : new TreeMap<>(table.models()).values()) {
        models.add(new CoordinatorWire.ModelStatus(r.model(), r.modelVersion(), r.state(),
            r.replicas().stream().map(x -> GpuWire.gpuId(x.nodeAddress(), x.ordinal())).toList(), r.reason()));
      }
    }
    return models;
  }
}
