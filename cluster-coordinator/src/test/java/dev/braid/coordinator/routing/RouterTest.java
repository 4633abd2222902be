package dev.braid.coordinator.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.time.ManualNanoClock;
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

  /** Routes one request as admission does: the best estimate, recorded. */
  Route route(String model) {
    return router.routeTo(model, router.estimates(model, Set.of()).get(0));
  }

  /** The one retry as admission does it: {@code failed} completed, the best replica on another GPU. */
  Optional<Route> retry(Route failed) {
    router.completed(failed.ticket());
    List<ReplicaEstimate> others = router.estimates(failed.model(), Set.of(failed.gpu()));
    return others.isEmpty() ? Optional.empty() : Optional.of(router.routeTo(failed.model(), others.get(0)));
  }

  @Test
  void picksTheReplicaWithTheEarliestPredictedFinish() {
    router.update(table(1, queued(A, 10 * MS), queued(B, 3 * MS), queued(C, 7 * MS)));
    Route r = route("m");
    assertEquals(B, r.gpu());
    assertEquals(clock.nanoTime() + 3 * MS + 2 * MS, r.predictedFinishNanos());
  }

  @Test
  void equalFinishesGoToFewerInFlightThenLowerGpuId() {
    router.update(table(1, queued(A, 4 * MS), queued(B, 0), queued(C, 0)));
    assertEquals(B, route("m").gpu(), "B and C tie; B is lower");
    // B now carries 2 ms locally; A (4 ms) and B (2 ms) and C (0): C wins.
    assertEquals(C, route("m").gpu());
  }

  @Test
  void aBurstBetweenTablesSpreadsOverReplicasThroughTheLocalEstimate() {
    router.update(table(1, ReplicaLoad.idle(A), ReplicaLoad.idle(B)));
    List<GpuId> chosen = List.of(route("m").gpu(), route("m").gpu(),
        route("m").gpu(), route("m").gpu());
    assertEquals(List.of(A, B, A, B), chosen);
    assertEquals(4 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
  }

  @Test
  void completionSubtractsTheRequestsPredictedTime() {
    router.update(table(1, ReplicaLoad.idle(A)));
    Route first = route("m");
    route("m");
    assertEquals(4 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
    router.completed(first.ticket());
    assertEquals(2 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
    assertEquals(1, router.estimates("m", Set.of()).get(0).inFlight());
    router.completed(first.ticket());
    assertEquals(1, router.estimates("m", Set.of()).get(0).inFlight(), "completing twice is harmless");
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
    Route sent = route("m");
    router.update(table(2, queued(A, 5 * MS)));
    assertEquals(5 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
    router.completed(sent.ticket());
    assertEquals(5 * MS, router.estimates("m", Set.of()).get(0).queueNanos(), "completion of an older request changes no new figure");
    assertEquals(0, router.estimates("m", Set.of()).get(0).inFlight());
  }

  @Test
  void retryExcludesTheFailedReplica() {
    router.update(table(1, ReplicaLoad.idle(A), queued(B, 50 * MS)));
    Route failed = route("m");
    assertEquals(A, failed.gpu());
    Route again = retry(failed).orElseThrow();
    assertEquals(B, again.gpu());
    List<ReplicaEstimate> now = router.estimates("m", Set.of());
    assertEquals(List.of(0, 1), List.of(now.stream().filter(e -> e.gpu().equals(A)).findFirst().orElseThrow().inFlight(),
        now.stream().filter(e -> e.gpu().equals(B)).findFirst().orElseThrow().inFlight()), "A's request completed");
  }

  @Test
  void retryWithNoOtherReplicaFindsNothing() {
    router.update(table(1, ReplicaLoad.idle(A)));
    Route failed = route("m");
    assertEquals(Optional.empty(), retry(failed));
    assertEquals(List.of(), router.estimates("unknown", Set.of()));
  }

  @Test
  void anOlderTableIsIgnored() {
    assertTrue(router.update(table(2, queued(A, 9 * MS))));
    assertFalse(router.update(table(1, ReplicaLoad.idle(B))));
    assertEquals(A, route("m").gpu());
  }

  @Test
  void requestsPilingUpAtASlowReplicaAreSeenAtTheRateTheyComeBack() {
    // The table says 2 ms a request and nothing queued, but requests come back 10 ms apart.
    router.update(table(1, ReplicaLoad.idle(A)));
    List<Route> routes = new java.util.ArrayList<>();
    for (int i = 0; i < 102; i++) {
      routes.add(route("m"));
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
    Route one = route("m");
    clock.advance(5_000 * MS);
    router.completed(one.ticket());
    route("m");
    // One request out, and no service time observed: the estimate is the table's and the local one.
    assertEquals(2 * MS, router.estimates("m", Set.of()).get(0).queueNanos());
  }
}
