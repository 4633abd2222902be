package dev.braid.coordinator.cluster;

import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The {@link Coordinator}'s routing tables and the frontends they go to: every table goes to every
 * frontend, and a frontend that registers gets the latest at once. Used from the coordinator's
 * thread only.
 *
 * <p><b>Versions</b> are the pair (incarnation, counter) compared lexicographically, packed in one
 * long (the incarnation in the high bits) so that frontends compare them as numbers: the
 * incarnation is the wall clock in milliseconds when this coordinator started (the singleton's
 * start), the counter counts its tables from 1. Within one coordinator versions grow whatever its
 * node's clock does; a coordinator that takes over after a failover publishes tables above its
 * predecessor's as long as it starts later than its predecessor started by the clocks of their
 * nodes, so the clocks may disagree by up to the predecessor's lifetime (with versions from the
 * clock at each table, as before, by no more than the time the failover took). A counter that
 * fills its bits moves to the next incarnation.
 */
final class TablePublisher {
  /** The low bits of a version, counting the tables of one incarnation; the 42 above hold milliseconds to 2109. */
  static final int COUNTER_BITS = 21;

  /**
   * The table's number within its coordinator's incarnation: what a metric can show exactly (a
   * whole version, about 3.7e18, is beyond a double's 53 bits, so neighbouring versions would read
   * alike).
   */
  static long counterOf(long version) {
    return version & ((1L << COUNTER_BITS) - 1);
  }

  private Set<ActorRef<RoutingTableWire>> frontends = Set.of();
  private long incarnation;
  private long counter;
  private long version;
  private RoutingTableWire last;

  /** @param wallMillis the wall clock, in milliseconds since the epoch, read once: this coordinator's start */
  TablePublisher(LongSupplier wallMillis) {
    this.incarnation = wallMillis.getAsLong();
    if (incarnation < 0 || incarnation >= 1L << (63 - COUNTER_BITS)) {
      throw new IllegalArgumentException("wall clock of " + incarnation
          + " ms since the epoch: expected 0 to " + ((1L << (63 - COUNTER_BITS)) - 1));
    }
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
    if (++counter == 1L << COUNTER_BITS) {
      incarnation++;
      counter = 1;
    }
    version = incarnation << COUNTER_BITS | counter;
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
