package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.coordinator.cluster.ClusterClient.ModelView;
import dev.braid.coordinator.placement.GpuId;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** What a frontend routes by, from a table and the nodes it sees down, without an actor system. */
class TableDerivationTest {
  final ActorRef<InferenceWire.Infer> g1 = TestInbox.<InferenceWire.Infer>create().getRef();
  final ActorRef<InferenceWire.Infer> g2 = TestInbox.<InferenceWire.Infer>create().getRef();

  RoutingTableWire table() {
    return new RoutingTableWire(3, Map.of(
        "a", new RoutingTableWire.Route("a", 2, 1_000_000, List.of(
            new RoutingTableWire.Replica(g1, "n1", 0, 4, 100, 1.0),
            new RoutingTableWire.Replica(g2, "n2", 0, 1, 50, 0.5)), "READY", ""),
        "b", new RoutingTableWire.Route("b", 1, 1_000_000, List.of(
            new RoutingTableWire.Replica(g1, "n1", 0, 4, 100, 1.0)), "READY", ""),
        "c", new RoutingTableWire.Route("c", 0, 1_000_000, List.of(), "UNAVAILABLE", "failed to load: bad")));
  }

  @Test
  void everyNodeUpKeepsEveryReplicaAndState() {
    TableDerivation d = TableDerivation.of(table(), Set.of());
    assertEquals(Map.of(new GpuId("n1", 0), g1, new GpuId("n2", 0), g2), d.endpoints());
    assertEquals(Map.of(new GpuId("n1", 0), "n1", new GpuId("n2", 0), "n2"), d.nodeOf());
    assertEquals(new ModelView("a", "READY", 2, ""), d.views().get("a"));
    assertEquals(new ModelView("c", "UNAVAILABLE", 0, "failed to load: bad"), d.views().get("c"));
    assertEquals(3, d.routes().size());
  }

  @Test
  void aNodeDownTakesItsReplicasOutAndAModelLeftWithoutAnyIsUnavailable() {
    TableDerivation d = TableDerivation.of(table(), Set.of("n1"));
    assertEquals(Map.of(new GpuId("n2", 0), g2), d.endpoints());
    assertEquals(new ModelView("a", "READY", 2, ""), d.views().get("a"), "it keeps a replica on n2");
    assertEquals(new ModelView("b", "UNAVAILABLE", 1, "every replica is on a node that is unreachable"),
        d.views().get("b"));
    assertEquals(new ModelView("c", "UNAVAILABLE", 0, "failed to load: bad"), d.views().get("c"),
        "the coordinator's reason stands");
    assertEquals(1, d.routes().stream().filter(r -> r.model().equals("a")).findFirst().orElseThrow().replicas().size());
  }
}
