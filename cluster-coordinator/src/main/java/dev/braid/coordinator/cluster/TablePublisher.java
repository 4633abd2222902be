package dev.braid.coordinator.cluster;

import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The {@link Coordinator}'s routing tables and the frontends they go to: every table goes to every
 * frontend, and a frontend that registers gets the latest at once. Versions start from the wall
 * clock in microseconds and only grow, so a coordinator that takes over after a failover publishes
 * tables newer than its predecessor's. Used from the coordinator's thread only.
 */
final class TablePublisher {
  private final LongSupplier wallMillis;
  private Set<ActorRef<RoutingTableWire>> frontends = Set.of();
  private long version;
  private RoutingTableWire last;

  /** @param wallMillis the wall clock, in milliseconds since the epoch */
  TablePublisher(LongSupplier wallMillis) {
    this.wallMillis = wallMillis;
  }

  /** The frontends now registered; those new get the latest table. */
  void frontends(Set<ActorRef<RoutingTableWire>> refs) {
    Set<ActorRef<RoutingTableWire>> added = new HashSet<>(refs);
    added.removeAll(frontends);
    frontends = Set.copyOf(refs);
    if (last != null) {
      added.forEach(f -> f.tell(last));
    }
  }

  /** Sends a table of {@code routes}, one version newer, to every frontend. */
  void publish(Map<String, RoutingTableWire.Route> routes) {
    version = Math.max(version + 1, wallMillis.getAsLong() * 1000);
    last = new RoutingTableWire(version, routes);
    frontends.forEach(f -> f.tell(last));
  }

  /** The version of the latest table; 0 before the first. */
  long version() {
    return version;
  }

  /** The latest table; null before the first. */
  RoutingTableWire last() {
    return last;
  }
}
