package dev.braid.coordinator.events;

import dev.braid.gpu.NodeFence;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * How a node notices that it must stop working for its cluster, and leaves: it watches its own
 * membership (downed by the others or by its split-brain resolver) and its own pauses ({@link
 * NodeFence}: stopped longer than {@code braid.cluster.max-pause}, it may have been downed without
 * hearing of it). Either way the fence closes at once (the GPUs launch nothing more, the
 * coordinator places nothing more) and Pekko's coordinated shutdown runs, after which {@code braid
 * serve} exits with {@code EXIT_LEFT_CLUSTER}. It also reports the membership it sees and the
 * node's exit to the {@link NodeEvents} stream, and closes that stream last.
 */
public final class NodeWatch {
  /** The shutdown reason of a node that closed its fence after a long pause. */
  public record Fenced(String why) implements CoordinatedShutdown.Reason {}

  private NodeWatch() {}

  /**
   * Starts watching on {@code system} (a cluster member).
   *
   * @param maxPause the longest pause after which the node may go on (0: pauses are not watched)
   */
  public static void start(ActorSystem<?> system, Duration maxPause) {
    NodeEvents events = NodeEvents.of(system);
    NodeFence fence = NodeFence.get(system);
    Cluster cluster = Cluster.get(system);
    Member self = cluster.selfMember();
    ActorRef<ClusterEvent.ClusterDomainEvent> members = system.systemActorOf(
        Behaviors.<ClusterEvent.ClusterDomainEvent>receiveMessage(e -> {
          onEvent(system, self, events, fence, e);
          return Behaviors.same();
        }), "braid-node-watch", Props.empty());
    cluster.subscriptions().tell(Subscribe.create(members.narrow(), ClusterEvent.MemberEvent.class));
    cluster.subscriptions().tell(Subscribe.create(members.narrow(), ClusterEvent.ReachabilityEvent.class));
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "braid-node-exiting", () -> {
      String reason = reasonOf(shutdown.getShutdownReason().orElse(null));
      if (reason.equals("downed") && fence.close("this node was downed")) {
        events.selfDowned("this node was downed");
      }
      fence.close("this node is shutting down (" + reason + ")");
      events.exiting(reason, shutdown.getShutdownReason().map(Object::toString).orElse(""));
      system.log().info("leaving the cluster: {}", reason);
      return CompletableFuture.completedFuture(Done.done());
    });
    shutdown.addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "braid-events-close", () -> {
      events.close();
      return CompletableFuture.completedFuture(Done.done());
    });
    if (!maxPause.isZero()) {
      fence.watch(maxPause, why -> {
        system.log().warn("{}: leaving the cluster and exiting", why);
        events.selfDowned(why);
        shutdown.run(new Fenced(why));
      });
    }
  }

  private static void onEvent(ActorSystem<?> system, Member self, NodeEvents events, NodeFence fence,
      ClusterEvent.ClusterDomainEvent e) {
    if (e instanceof ClusterEvent.MemberDowned d && d.member().uniqueAddress().equals(self.uniqueAddress())
        || e instanceof ClusterEvent.MemberRemoved r && r.member().uniqueAddress().equals(self.uniqueAddress())
            && r.previousStatus() == MemberStatus.down()) {
      if (fence.close("this node was downed")) {
        system.log().warn("this node was downed by the cluster: it stops working and exits");
        events.selfDowned("this node was downed");
      }
    } else if (e instanceof ClusterEvent.UnreachableMember u) {
      events.member("member-unreachable", NodeEvents.hostPort(u.member().address()));
    } else if (e instanceof ClusterEvent.ReachableMember r) {
      events.member("member-reachable", NodeEvents.hostPort(r.member().address()));
    } else if (e instanceof ClusterEvent.MemberRemoved r) {
      events.member("member-removed", NodeEvents.hostPort(r.member().address()));
    }
  }

  /** A word for why the node shuts down. */
  static String reasonOf(CoordinatedShutdown.Reason r) {
    if (r instanceof Fenced) {
      return "fenced";
    } else if (r == CoordinatedShutdown.clusterDowningReason()) {
      return "downed";
    } else if (r == CoordinatedShutdown.clusterLeavingReason()) {
      return "left";
    } else if (r == CoordinatedShutdown.actorSystemTerminateReason()) {
      return "leave";
    } else if (r == CoordinatedShutdown.jvmExitReason()) {
      return "signal";
    }
    return r == null ? "unknown" : r.toString();
  }
}
