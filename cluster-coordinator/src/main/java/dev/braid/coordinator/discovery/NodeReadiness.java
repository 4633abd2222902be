package dev.braid.coordinator.discovery;

import dev.braid.coordinator.cluster.BraidNode;
import java.util.Set;

/**
 * Whether a node should take traffic (Kubernetes' readiness) and whether it should be restarted
 * (liveness), from what the node knows of itself. Pure: the {@link NodeHealth} extension gathers
 * the facts, Pekko Management's probes ask.
 *
 * <p>Ready when the node has started (its devices are open and its GPU actors registered), it is
 * an Up (or WeaklyUp) member of the cluster, and, for a frontend, the models present at start
 * serve (or failed for good), it is not draining, and it has received a routing table from the
 * coordinator (without one it can route nothing). A GPU node takes no requests of its own: it is
 * ready once it is a member with its devices open, so that the coordinator can place models on it;
 * frontends route to its replicas only once they have loaded.
 *
 * <p>Live unless the cluster has downed or removed this member (it will never rejoin as it is;
 * Kubernetes should restart the pod) or the actor system has terminated.
 */
public final class NodeReadiness {
  private NodeReadiness() {}

  /** A verdict and, when negative, why (shown in the probe's answer and the log). */
  public record Verdict(boolean ok, String reason) {
    static Verdict yes() {
      return new Verdict(true, "");
    }

    static Verdict no(String reason) {
      return new Verdict(false, reason);
    }
  }

  /**
   * What the node knows of itself.
   *
   * @param roles the node's roles
   * @param started whether {@code BraidNode.start} has finished (devices open, GPU actors
   *     registered, a frontend's ports bound)
   * @param memberStatus this member's status in the cluster (Pekko's name: Joining, WeaklyUp, Up,
   *     Leaving, Exiting, Down, Removed), or null before it has joined
   * @param frontendReady a frontend's own readiness: the models present at start serve or failed,
   *     and it is not draining (false for a node without the frontend role)
   * @param routingTable whether a frontend has received a routing table
   * @param terminated whether the actor system has terminated
   */
  public record Facts(Set<BraidNode.Role> roles, boolean started, String memberStatus, boolean frontendReady,
      boolean routingTable, boolean terminated) {
    public Facts {
      roles = Set.copyOf(roles);
    }
  }

  public static Verdict ready(Facts f) {
    if (f.terminated()) {
      return Verdict.no("the actor system has terminated");
    }
    if (!f.started()) {
      return Verdict.no("starting: devices, GPU actors or ports not yet up");
    }
    if (!"Up".equals(f.memberStatus()) && !"WeaklyUp".equals(f.memberStatus())) {
      return Verdict.no(f.memberStatus() == null ? "not yet a member of a cluster"
          : "cluster member status is " + f.memberStatus() + ", not Up");
    }
    if (f.roles().contains(BraidNode.Role.FRONTEND)) {
      if (!f.routingTable()) {
        return Verdict.no("frontend: no routing table from the coordinator yet");
      }
      if (!f.frontendReady()) {
        return Verdict.no("frontend: the models present at start are not yet settled, or it is draining");
      }
    }
    return Verdict.yes();
  }

  public static Verdict live(Facts f) {
    if (f.terminated()) {
      return Verdict.no("the actor system has terminated");
    }
    if ("Down".equals(f.memberStatus()) || "Removed".equals(f.memberStatus())) {
      return Verdict.no("this member is " + f.memberStatus() + ": it cannot rejoin the cluster without a restart");
    }
    return Verdict.yes();
  }
}
