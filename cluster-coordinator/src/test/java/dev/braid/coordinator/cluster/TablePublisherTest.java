package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.Test;

/** Table versions and who gets which table, without an actor system. */
class TablePublisherTest {
  @Test
  void aNewCoordinatorsFirstTableIsAboveItsPredecessorsLastThoughItsClockIsBehind() {
    // The first coordinator starts at 1000 s on its node's clock and publishes a table a second
    // for ten minutes.
    AtomicLong clockA = new AtomicLong(1_000_000);
    TablePublisher a = new TablePublisher(clockA::get);
    for (int i = 0; i < 600; i++) {
      clockA.addAndGet(1_000);
      a.publish(Map.of());
    }
    // Its node dies; 20 s later the singleton starts on a node whose clock is 30 s behind.
    TablePublisher b = new TablePublisher(() -> 1_600_000 + 20_000 - 30_000);
    b.publish(Map.of());
    assertTrue(b.version() > a.version(),
        "frontends drop tables not above the last: " + b.version() + " after " + a.version());
  }

  @Test
  void versionsCountWithinTheIncarnationAndANewFrontendGetsTheLatestTable() {
    AtomicLong wallMillis = new AtomicLong(5);
    TablePublisher tables = new TablePublisher(wallMillis::get);
    TestInbox<RoutingTableWire> early = TestInbox.create();
    tables.frontends(Set.of(early.getRef()));
    assertFalse(early.hasMessages(), "no table yet");
    tables.publish(Map.of());
    long first = 5L << TablePublisher.COUNTER_BITS | 1;
    assertEquals(first, tables.version(), "(start time 5 ms, first table)");
    assertEquals(tables.last(), early.receiveMessage());
    wallMillis.set(1); // the wall clock stepped back: versions do not read it again
    tables.publish(Map.of());
    assertEquals(first + 1, tables.version());
    assertEquals(2, TablePublisher.counterOf(tables.version()), "the metric's table number: exact");
    assertEquals(2, TablePublisher.counterOf((1_765_000_000_000L << TablePublisher.COUNTER_BITS) | 2),
        "with today's start times too");
    early.receiveMessage();
    TestInbox<RoutingTableWire> late = TestInbox.create();
    tables.frontends(Set.of(early.getRef(), late.getRef()));
    assertEquals(first + 1, late.receiveMessage().version(), "the latest, at once");
    assertFalse(early.hasMessages(), "a frontend already known is not sent it again");
  }

  @Test
  void aCounterThatFillsItsBitsMovesToTheNextIncarnation() {
    TablePublisher tables = new TablePublisher(() -> 7);
    long previous = 0;
    for (long i = 1; i < 1L << TablePublisher.COUNTER_BITS; i++) {
      tables.publish(Map.of());
      assertTrue(tables.version() > previous);
      previous = tables.version();
    }
    tables.publish(Map.of());
    assertEquals(8L << TablePublisher.COUNTER_BITS | 1, tables.version());
    assertTrue(tables.version() > previous);
  }
}
