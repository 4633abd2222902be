package dev.braid.coordinator.cluster;

import static dev.braid.coordinator.cluster.ClusterViewTest.info;
import static dev.braid.coordinator.cluster.ClusterViewTest.ref;
import static dev.braid.coordinator.cluster.ClusterViewTest.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.protocol.cluster.GpuWire;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** What the coordinator answers for status, read from its view without an actor system. */
class CoordinatorRepliesTest {
  @Test
  void statusReportsShowWhatTheGpuHoldsByItsAnswersAndADrainTheCoordinatorStarted() {
    ActorRef<GpuWire.Command> r1 = ref();
    ClusterView view = new ClusterView();
    view.listed(Set.of(r1, ref()), r -> false); // the second never reports
    view.models.put("a", new Model("a", 100, FusionProfile.NONE));
    view.report(r1, report("n1", false, true));
    view.loaded(view.gpus.get(r1), "a", info("a", 0)); // answered after the report
    view.drain("n1");
    List<GpuWire.Report> reports = CoordinatorReplies.reports(view);
    assertEquals(1, reports.size(), "only the GPU that reported");
    assertEquals(Set.of("a"), reports.get(0).models().keySet());
    assertTrue(reports.get(0).draining(), "the coordinator drains it though its report said not");
  }
}
