package dev.braid.coordinator.cluster;

import java.util.Optional;
import org.apache.pekko.cluster.ClusterEvent;

/**
 * A change of a node's membership that a frontend routes by: down (unreachable, or removed) or up
 * again (reachable again, or up). Pure.
 *
 * @param address the node's address
 * @param down whether its replicas leave routing (true) or come back (false)
 * @param removed whether it left the cluster (rather than became unreachable)
 */
record MemberChange(String address, boolean down, boolean removed) {
  /** The change {@code e} makes; empty for the events that change no node's routing. */
  static Optional<MemberChange> of(ClusterEvent.ClusterDomainEvent e) {
    if (e instanceof ClusterEvent.UnreachableMember u) {
      return Optional.of(new MemberChange(u.member().address().toString(), true, false));
    } else if (e instanceof ClusterEvent.MemberRemoved r) {
      return Optional.of(new MemberChange(r.member().address().toString(), true, true));
    } else if (e instanceof ClusterEvent.ReachableMember r) {
      return Optional.of(new MemberChange(r.member().address().toString(), false, false));
    } else if (e instanceof ClusterEvent.MemberUp u) {
      return Optional.of(new MemberChange(u.member().address().toString(), false, false));
    }
    return Optional.empty();
  }
}
