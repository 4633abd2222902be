package dev.braid.coordinator.discovery;

import dev.braid.coordinator.cluster.BraidNode;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;

/**
 * What a node knows of its own health, one per actor system (a Pekko extension), for the
 * readiness and liveness checks Pekko Management runs ({@link BraidReadinessCheck},
 * {@link BraidLivenessCheck}). {@code BraidNode} tells it when the node has started and, on a
 * frontend, how to ask the inference service and its routing table; the cluster tells it the
 * member's status. Fields are volatile: written once at start, read by the probes' threads.
 */
public final class NodeHealth implements Extension {
  /** The extension's id: one NodeHealth per actor system. */
  public static final Id ID = new Id();

  /** Creates the extension on first use. */
  public static final class Id extends AbstractExtensionId<NodeHealth> implements ExtensionIdProvider {
    @Override
    public NodeHealth createExtension(ExtendedActorSystem system) {
      return new NodeHealth(system);
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  private final org.apache.pekko.actor.ActorSystem system;
  private volatile Set<BraidNode.Role> roles = Set.of();
  private volatile boolean started;
  private volatile boolean everJoined;
  private volatile BooleanSupplier frontendReady = () -> false;
  private volatile BooleanSupplier routingTable = () -> false;

  private NodeHealth(org.apache.pekko.actor.ActorSystem system) {
    this.system = system;
    Cluster.get(system).registerOnMemberUp(() -> everJoined = true);
  }

  public static NodeHealth get(ActorSystem<?> system) {
    return ID.get(Adapter.toClassic(system));
  }

  /** The node has started with these roles (devices open, GPU actors registered, ports bound). */
  public void started(Set<BraidNode.Role> nodeRoles) {
    roles = nodeRoles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(nodeRoles));
    started = true;
  }

  /** A frontend's probes: its own readiness (initial models settled, not draining) and whether it has a routing table. */
  public void frontend(BooleanSupplier ready, BooleanSupplier hasRoutingTable) {
    frontendReady = ready;
    routingTable = hasRoutingTable;
  }

  /** The facts now. A member status of Removed before the node ever joined reads as "not yet a member". */
  public NodeReadiness.Facts facts() {
    boolean terminated = system.whenTerminated().isCompleted();
    String status = null;
    if (!terminated) {
      MemberStatus s = Cluster.get(system).selfMember().status();
      if (s != MemberStatus.removed()) {
        everJoined = true;
      }
      status = s == MemberStatus.removed() && !everJoined ? null : s.toString();
    }
    return new NodeReadiness.Facts(roles, started, status, frontendReady.getAsBoolean(), routingTable.getAsBoolean(),
        terminated);
  }
}
