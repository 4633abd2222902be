package dev.braid.coordinator.cluster;

import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * What the {@link Coordinator} subscribes to at its start, each event turned into a message to
 * it: the Receptionist's listings of GPUs ({@link Coordinator#GPUS}: {@link GpusListed}) and of
 * frontends ({@link Coordinator#FRONTENDS}: {@link FrontendsListed}), and the cluster's changes of
 * a member's reachability ({@link Reachability}) and removals of members ({@link NodeRemoved}),
 * each naming the member by its address.
 *
 * <p>The messages share the coordinator's message type, hence the wire marker, but never leave
 * this node: none is registered with the serializer, so sending one remotely would fail loudly.
 */
final class ClusterSubscriptions {
  /** The GPU endpoints registered now. */
  record GpusListed(Set<ActorRef<GpuWire.Command>> refs) implements CoordinatorWire.Command {}

  /** The frontends' table receivers registered now. */
  record FrontendsListed(Set<ActorRef<RoutingTableWire>> refs) implements CoordinatorWire.Command {}

  /** The member at {@code address} became reachable, or unreachable. */
  record Reachability(String address, boolean reachable) implements CoordinatorWire.Command {}

  /** The member at {@code address} was removed from the cluster. */
  record NodeRemoved(String address) implements CoordinatorWire.Command {}

  private ClusterSubscriptions() {}

  /** Subscribes {@code context}'s actor to the four, from now on. */
  static void subscribe(ActorContext<CoordinatorWire.Command> context) {
    // One adapter per message class: both listings arrive through it.
    ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class,
        l -> l.isForKey(Coordinator.GPUS) ? new GpusListed(l.getServiceInstances(Coordinator.GPUS))
            : new FrontendsListed(l.getServiceInstances(Coordinator.FRONTENDS)));
    context.getSystem().receptionist().tell(Receptionist.subscribe(Coordinator.GPUS, listings));
    context.getSystem().receptionist().tell(Receptionist.subscribe(Coordinator.FRONTENDS, listings));
    Cluster cluster = Cluster.get(context.getSystem());
    cluster.subscriptions().tell(Subscribe.create(
        context.messageAdapter(ClusterEvent.ReachabilityEvent.class, e -> new Reachability(
            e.member().address().toString(), e instanceof ClusterEvent.ReachableMember)),
        ClusterEvent.ReachabilityEvent.class));
    cluster.subscriptions().tell(Subscribe.create(context.messageAdapter(ClusterEvent.MemberRemoved.class,
        e -> new NodeRemoved(e.member().address().toString())), ClusterEvent.MemberRemoved.class));
  }

  /** Whether a GPU endpoint lives on a member {@code system}'s cluster sees unreachable now. */
  static Predicate<ActorRef<GpuWire.Command>> unreachableNow(ActorSystem<?> system) {
    Set<Member> unreachable = Cluster.get(system).state().getUnreachable();
    return ref -> unreachable.stream()
        .anyMatch(member -> member.address().toString().equals(ref.path().address().toString()));
  }
}
