package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.Test;

/** Table versions and who gets which table, without an actor system. */
class TablePublisherTest {
  @Test
  void versionsStartAtTheWallClockAndOnlyGrowAndANewFrontendGetsTheLatestTable() {
    AtomicLong wallMillis = new AtomicLong(5);
    TablePublisher tables = new TablePublisher(wallMillis::get);
    TestInbox<RoutingTableWire> early = TestInbox.create();
    tables.frontends(Set.of(early.getRef()));
    assertFalse(early.hasMessages(), "no table yet");
    tables.publish(Map.of());
    assertEquals(5_000, tables.version(), "microseconds of the wall clock");
    assertEquals(tables.last(), early.receiveMessage());
    wallMillis.set(1); // the wall clock stepped back: versions still grow
    tables.publish(Map.of());
    assertEquals(5_001, tables.version());
    early.receiveMessage();
    TestInbox<RoutingTableWire> late = TestInbox.create();
    tables.frontends(Set.of(early.getRef(), late.getRef()));
    assertEquals(5_001, late.receiveMessage().version(), "the latest, at once");
    assertFalse(early.hasMessages(), "a frontend already known is not sent it again");
  }
}
