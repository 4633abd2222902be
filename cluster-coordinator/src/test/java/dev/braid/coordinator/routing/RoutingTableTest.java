package dev.braid.coordinator.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.placement.GpuId;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingTableTest {
  static final GpuId A = new GpuId("nodeA", 0);

  static RoutingTable v(long version) {
    return RoutingTable.of(version, 0, List.of(new ModelRoute("m", 1, List.of(ReplicaLoad.idle(A)))));
  }

  @Test
  void mergingKeepsTheHigherVersionWhicheverArrivesFirst() {
    RoutingTable v1 = v(1);
    RoutingTable v2 = v(2);
    assertSame(v2, v1.merge(v2));
    assertSame(v2, v2.merge(v1));
    assertSame(v2, RoutingTable.EMPTY.merge(v2));
  }

  @Test
  void anEqualVersionKeepsTheTableHeld() {
    RoutingTable held = v(3);
    assertSame(held, held.merge(v(3)));
  }

  @Test
  void theEmptyTableIsVersionZeroAndRoutesNothing() {
    assertTrue(RoutingTable.EMPTY.isEmpty());
    assertTrue(RoutingTable.EMPTY.route("m").isEmpty());
  }

  @Test
  void aModelRoutedTwiceOrAGpuListedTwiceIsRefused() {
    ModelRoute m = new ModelRoute("m", 1, List.of());
    assertThrows(IllegalArgumentException.class, () -> RoutingTable.of(1, 0, List.of(m, m)));
    assertThrows(IllegalArgumentException.class,
        () -> new ModelRoute("m", 1, List.of(ReplicaLoad.idle(A), ReplicaLoad.idle(A))));
  }

  @Test
  void replicasAreSortedByGpu() {
    GpuId b = new GpuId("nodeB", 0);
    ModelRoute m = new ModelRoute("m", 1, List.of(ReplicaLoad.idle(b), ReplicaLoad.idle(A)));
    assertEquals(List.of(A, b), m.replicas().stream().map(ReplicaLoad::gpu).toList());
  }
}
