package dev.braid.coordinator.cluster;

import static dev.braid.coordinator.cluster.ClusterViewTest.info;
import static dev.braid.coordinator.cluster.ClusterViewTest.ref;
import static dev.braid.coordinator.cluster.ClusterViewTest.report;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.coordinator.placement.Shortfall;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** The routing table read from the coordinator's view: each model's replicas and state, without an actor system. */
class ClusterRoutesTest {
  private static final long DEFAULT_NANOS = 1_000_000;

  private final ActorRef<GpuWire.Command> r1 = ref();
  private final ActorRef<GpuWire.Command> r2 = ref();
  private final ClusterView view = new ClusterView();

  private void want(String... models) {
    for (String m : models) {
      view.models.put(m, new Model(m, 100, FusionProfile.NONE));
    }
  }

  @Test
  void aModelHeldByAServingGpuIsReadyWithThatReplicaAndItsMeasuredRequestTime() {
    view.listed(Set.of(r1), r -> false);
    want("a");
    view.report(r1, report("n1", false, true, info("a", 0)));
    RoutingTableWire.Route a = ClusterRoutes.of(view, List.of(), DEFAULT_NANOS).get("a");
    assertEquals("READY", a.state());
    assertEquals("", a.reason());
    assertEquals(1, a.replicas().size());
    assertEquals("n1", a.replicas().get(0).nodeAddress());
    assertEquals(2_000_000, a.requestNanos(), "as the GPU measured it, not the default");
  }

  @Test
  void withoutAReplicaAFailureComesFirstThenALoadStillPossibleThenPlacementsShortfall() {
    view.listed(Set.of(r1), r -> false);
    want("failed", "short", "fine");
    view.models.get("failed").failure = "out of memory";
    List<Shortfall> shortfalls = List.of(new Shortfall("short", Shortfall.Reason.NO_HEALTHY_GPU, 1, 0,
        "no healthy GPU"));
    // r1 has not reported: it may still take any model.
    Map<String, RoutingTableWire.Route> routes = ClusterRoutes.of(view, shortfalls, DEFAULT_NANOS);
    assertEquals("UNAVAILABLE", routes.get("failed").state());
    assertEquals("failed to load: out of memory", routes.get("failed").reason());
    assertEquals("LOADING", routes.get("short").state(), "a GPU that has not reported may take it");
    assertEquals(DEFAULT_NANOS, routes.get("short").requestNanos(), "nobody measured it");

    view.report(r1, report("n1", false, true));
    routes = ClusterRoutes.of(view, shortfalls, DEFAULT_NANOS);
    assertEquals("UNAVAILABLE", routes.get("short").state());
    assertEquals("no healthy GPU", routes.get("short").reason());
    assertEquals("no GPU serves it yet", routes.get("fine").reason(), "no shortfall named it");
    assertEquals(List.of("failed", "fine", "short"), List.copyOf(routes.keySet()), "by name");
  }

  @Test
  void aDrainingGpuRoutesAModelOnlyWhileNoOtherServesIt() {
    view.listed(Set.of(r1, r2), r -> false);
    want("a");
    view.report(r1, report("n1", true, true, info("a", 0)));
    assertEquals(1, ClusterRoutes.of(view, List.of(), DEFAULT_NANOS).get("a").replicas().size(),
        "the draining GPU still routes: nothing else serves it");
    view.report(r2, report("n2", false, true, info("a", 0)));
    List<RoutingTableWire.Replica> replicas = ClusterRoutes.of(view, List.of(), DEFAULT_NANOS).get("a").replicas();
    assertEquals(List.of("n2"), replicas.stream().map(RoutingTableWire.Replica::nodeAddress).toList());
  }
}
