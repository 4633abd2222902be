package dev.braid.coordinator.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.config.ManualNanoClock;
import dev.braid.coordinator.placement.GpuId;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouterTest {
  static final GpuId A = new GpuId("nodeA", 0);
  static final GpuId B = new GpuId("nodeB", 0);
  static final GpuId C = new GpuId("nodeC", 0);
  static final long MS = 1_000_000;

  final ManualNanoClock clock = new ManualNanoClock(1_000 * MS);
  final Router router = new Router(clock);

  static RoutingTable table(long version, ReplicaLoad... replicas) {
    return RoutingTable.of(version, 0, List.of(new ModelRoute("m", 2 * MS, List.of(replicas))));
  }

  static ReplicaLoad queued(GpuId gpu, long queueNanos) {
    return new ReplicaLoad(gpu, 1, queueNanos, 1.0);
  }

  @Test
  void picksTheReplicaWithTheEarliestPredictedFinish() {
    router.update(table(1, queued(A, 10 * MS), queued(B, 3 * MS), queued(C, 7 * MS)));
    Route r = router.route("m").orElseThrow();
    assertEquals(B, r.gpu());
    assertEquals(clock.nanoTime() + 3 * MS + 2 * MS, r.predictedFinishNanos());
  }

  @Test
  void equalFinishesGoToFewerInFlightThenLowerGpuId() {
    router.update(table(1, queued(A, 4 * MS), queued(B, 0), queued(C, 0)));
    assertEquals(B, router.route("m").orElseThrow().gpu(), "B and C tie; B is lower");
    // B now carries 2 ms locally; A (4 ms) and B (2 ms) and C (0): C wins.
    assertEquals(C, router.route("m").orElseThrow().gpu());
  }

  @Test
  void aBurstBetweenTablesSpreadsOverReplicasThroughTheLocalEstimate() {
    router.update(table(1, ReplicaLoad.idle(A), ReplicaLoad.idle(B)));
    List<GpuId> chosen = List.of(router.route("m").orElseThrow().gpu(), router.route("m").orElseThrow().gpu(),
        router.route("m").orElseThrow().gpu(), router.route("m").orElseThrow().gpu());
    assertEquals(List.of(A, B, A, B), chosen);
    assertEquals(4 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
  }

  @Test
  void completionSubtractsTheRequestsPredictedTime() {
    router.update(table(1, ReplicaLoad.idle(A)));
    Route first = router.route("m").orElseThrow();
    router.route("m").orElseThrow();
    assertEquals(4 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
    router.completed(first.ticket());
    assertEquals(2 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
    assertEquals(1, router.inFlight());
    router.completed(first.ticket());
    assertEquals(1, router.inFlight(), "completing twice is harmless");
  }

  @Test
  void theTablesQueueDrainsWithTimeSinceItArrived() {
    router.update(table(1, queued(A, 10 * MS)));
    clock.advance(4 * MS);
    assertEquals(6 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
    clock.advance(100 * MS);
    assertEquals(0, router.estimates("m", Set.of()).get(0).queueNanos());
  }

  @Test
  void aNewTableReplacesLocalAdditionsSinceItsFiguresIncludeThem() {
    router.update(table(1, ReplicaLoad.idle(A)));
    Route sent = router.route("m").orElseThrow();
    router.update(table(2, queued(A, 5 * MS)));
    assertEquals(5 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
    router.completed(sent.ticket());
    assertEquals(5 * MS, router.estimates("m", Set.of()).get(0).queueNanos(), "completion of an older request changes no new figure");
    assertEquals(0, router.inFlight());
  }

  @Test
  void retryExcludesTheFailedReplica() {
    router.update(table(1, ReplicaLoad.idle(A), queued(B, 50 * MS)));
    Route failed = router.route("m").orElseThrow();
    assertEquals(A, failed.gpu());
    Route again = router.retryExcluding(failed).orElseThrow();
    assertEquals(B, again.gpu());
    assertEquals(1, router.inFlight());
  }

  @Test
  void retryWithNoOtherReplicaFindsNothing() {
    router.update(table(1, ReplicaLoad.idle(A)));
    Route failed = router.route("m").orElseThrow();
    assertEquals(Optional.empty(), router.retryExcluding(failed));
    assertEquals(Optional.empty(), router.route("unknown"));
  }

  @Test
  void anOlderTableIsIgnored() {
    assertTrue(router.update(table(2, queued(A, 9 * MS))));
    assertFalse(router.update(table(1, ReplicaLoad.idle(B))));
    assertEquals(A, router.route("m").orElseThrow().gpu());
  }

  @Test
  void requestsPilingUpAtASlowReplicaAreSeenAtTheRateTheyComeBack() {
    // The table says 2 ms a request and nothing queued, but requests come back 10 ms apart.
    router.update(table(1, ReplicaLoad.idle(A)));
    List<Route> routes = new java.util.ArrayList<>();
    for (int i = 0; i < 102; i++) {
      routes.add(router.route("m").orElseThrow());
    }
    router.update(table(2, ReplicaLoad.idle(A))); // a new table forgets the local device-time estimate
    for (int i = 0; i < 2; i++) {
      clock.advance(10 * MS);
      router.completed(routes.get(i).ticket());
    }
    // 100 still out at one per 10 ms: a second of queue, where the table alone would say none.
    assertEquals(100 * 10 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
  }

  @Test
  void anIdleGapIsNotServiceTime() {
    router.update(table(1, ReplicaLoad.idle(A)));
    Route one = router.route("m").orElseThrow();
    clock.advance(5_000 * MS);
    router.completed(one.ticket());
    router.route("m").orElseThrow();
    // One request out, and no service time observed: the estimate is the table's and the local one.
    assertEquals(2 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
  }
}
