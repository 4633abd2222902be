package dev.braid.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.coordinator.cluster.BraidNode.Role;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The readiness and liveness rules, one fact changed at a time from a ready node. */
class NodeReadinessTest {
  private static final Set<Role> FRONTEND = Set.of(Role.FRONTEND, Role.COORDINATOR);
  private static final Set<Role> GPU = Set.of(Role.GPU);

  private static NodeReadiness.Facts facts(Set<Role> roles, boolean started, String status, boolean frontendReady,
      boolean table, boolean terminated) {
    return new NodeReadiness.Facts(roles, started, status, frontendReady, table, terminated);
  }

  @Test
  void aFrontendIsReadyOnlyWithItsModelsSettledAndARoutingTable() {
    assertEquals(new NodeReadiness.Verdict(true, ""), NodeReadiness.ready(facts(FRONTEND, true, "Up", true, true, false)));
    assertEquals("frontend: no routing table from the coordinator yet",
        NodeReadiness.ready(facts(FRONTEND, true, "Up", true, false, false)).reason());
    assertEquals("frontend: the models present at start are not yet settled, or it is draining",
        NodeReadiness.ready(facts(FRONTEND, true, "Up", false, true, false)).reason());
  }

  @Test
  void aGpuNodeIsReadyOnceStartedAndUpWithoutARoutingTable() {
    assertEquals(true, NodeReadiness.ready(facts(GPU, true, "Up", false, false, false)).ok());
    assertEquals(true, NodeReadiness.ready(facts(GPU, true, "WeaklyUp", false, false, false)).ok());
    assertEquals("starting: devices, GPU actors or ports not yet up",
        NodeReadiness.ready(facts(GPU, false, "Up", false, false, false)).reason());
  }

  @Test
  void noNodeIsReadyBeforeItIsAnUpMemberOrOnceItLeaves() {
    for (Set<Role> roles : java.util.List.of(FRONTEND, GPU)) {
      assertEquals("not yet a member of a cluster", NodeReadiness.ready(facts(roles, true, null, true, true, false)).reason());
      for (String status : new String[] {"Joining", "Leaving", "Exiting", "Down", "Removed"}) {
        assertEquals("cluster member status is " + status + ", not Up",
            NodeReadiness.ready(facts(roles, true, status, true, true, false)).reason());
      }
      assertEquals("the actor system has terminated",
          NodeReadiness.ready(facts(roles, true, "Up", true, true, true)).reason());
    }
  }

  @Test
  void aNodeIsLiveUnlessDownedRemovedOrTerminated() {
    assertEquals(true, NodeReadiness.live(facts(GPU, false, null, false, false, false)).ok(), "still bootstrapping");
    assertEquals(true, NodeReadiness.live(facts(GPU, true, "Joining", false, false, false)).ok());
    assertEquals(true, NodeReadiness.live(facts(FRONTEND, true, "Leaving", false, false, false)).ok());
    assertEquals("this member is Down: it cannot rejoin the cluster without a restart",
        NodeReadiness.live(facts(GPU, true, "Down", false, false, false)).reason());
    assertEquals(false, NodeReadiness.live(facts(GPU, true, "Removed", false, false, false)).ok());
    assertEquals(false, NodeReadiness.live(facts(GPU, true, "Up", false, false, true)).ok());
  }
}
