package dev.braid.bench.faults.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.bench.faults.NodeEvent;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CoordinatorTimelineTest {
  private static NodeEvent ev(long t, String node, String kind) {
    return new NodeEvent(t, node, kind, Map.of());
  }

  @Test
  void aHandoverAfterTheOldCoordinatorStoppedIsNoViolation() {
    CoordinatorTimeline t = CoordinatorTimeline.of(List.of(
        ev(100, "a", "coordinator-started"), ev(150, "a", "placement"), ev(300, "a", "coordinator-stopped"),
        ev(310, "b", "coordinator-started"), ev(320, "b", "placement"), ev(400, "b", "exiting")), false, 1000);
    assertEquals(List.of(), t.violations());
    assertEquals(List.of("a", "b"), t.coordinators());
    assertEquals(new CoordinatorTimeline.Interval("b", 310, 400), t.intervals().get(1));
  }

  @Test
  void twoNodesCoordinatingAtOnceAreCaughtEvenWhenNeitherStopped() {
    CoordinatorTimeline t = CoordinatorTimeline.of(List.of(
        ev(100, "a", "coordinator-started"), ev(500, "b", "coordinator-started"), ev(600, "b", "placement"),
        ev(700, "a", "placement")), true, 2000);
    assertEquals(1, t.violations().size(), t.violations().toString());
    assertTrue(t.violations().get(0).contains("two coordinators"), t.violations().toString());
  }

  @Test
  void aNodeKilledAsCoordinatorEndsItsTenureAtItsLastEvent() {
    // a was SIGKILLed after 200 (no coordinator-stopped); b took over at 900: no overlap once the
    // cluster is no longer running.
    CoordinatorTimeline t = CoordinatorTimeline.of(List.of(
        ev(100, "a", "coordinator-started"), ev(200, "a", "placement"), ev(900, "b", "coordinator-started")),
        false, 2000);
    assertEquals(List.of(), t.violations());
  }

  @Test
  void aPlacementWithoutTheSingletonIsAViolation() {
    CoordinatorTimeline t = CoordinatorTimeline.of(List.of(
        ev(100, "a", "coordinator-started"), ev(150, "b", "placement")), true, 1000);
    assertEquals(1, t.violations().size(), t.violations().toString());
    assertTrue(t.violations().get(0).contains("placement by b"), t.violations().toString());
  }
}
