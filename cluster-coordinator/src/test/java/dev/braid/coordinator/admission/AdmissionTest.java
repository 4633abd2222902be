package dev.braid.coordinator.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.time.ManualNanoClock;
import dev.braid.coordinator.admission.Decision.Admitted;
import dev.braid.coordinator.admission.Decision.Refused;
import dev.braid.coordinator.placement.GpuId;
import dev.braid.coordinator.routing.ModelRoute;
import dev.braid.coordinator.routing.ReplicaLoad;
import dev.braid.coordinator.routing.Route;
import dev.braid.coordinator.routing.Router;
import dev.braid.coordinator.routing.RoutingTable;
import dev.braid.protocol.cluster.FailureReason;
import io.grpc.Status.Code;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class AdmissionTest {
  static final GpuId A = new GpuId("nodeA", 0);
  static final GpuId B = new GpuId("nodeB", 0);
  static final long MS = 1_000_000;

  final ManualNanoClock clock = new ManualNanoClock(1_000 * MS);
  final Router router = new Router(clock);

  /** Model "m": 2 ms per request; A has 10 ms queued, B 30 ms. */
  void publish() {
    router.update(RoutingTable.of(1, 0, List.of(
        new ModelRoute("m", 2 * MS, List.of(new ReplicaLoad(A, 5, 10 * MS, 1.0), new ReplicaLoad(B, 9, 30 * MS, 1.0))),
        new ModelRoute("placedNowhere", 2 * MS, List.of()))));
  }

  InferenceRequest request(String model, long deadlineInNanos) {
    return new InferenceRequest(model, "t", clock.nanoTime() + deadlineInNanos);
  }

  static Stream<Arguments> deadlines() {
    return Stream.of(
        // deadline from now, outcome: best finish is 10 ms queue + 2 ms on A = 12 ms
        Arguments.of(50 * MS, null),
        Arguments.of(12 * MS, null),
        Arguments.of(12 * MS - 1, Code.DEADLINE_EXCEEDED),
        Arguments.of(1 * MS, Code.DEADLINE_EXCEEDED));
  }

  @ParameterizedTest(name = "deadline in {0} ns -> {1}")
  @MethodSource("deadlines")
  void admitsOnlyWhenTheBestPredictedFinishMeetsTheDeadline(long deadlineIn, Code expected) {
    publish();
    Decision d = new Admission(AdmissionSettings.DEFAULTS, clock).admit(request("m", deadlineIn), router);
    if (expected == null) {
      assertEquals(A, assertInstanceOf(Admitted.class, d).route().gpu());
    } else {
      Refused r = assertInstanceOf(Refused.class, d);
      assertEquals(expected, r.reason().code());
      assertTrue(r.message().contains("'m'") && r.message().contains("12.000 ms")
          && r.message().contains(String.format("%.3f ms", deadlineIn / 1e6)), r.message());
      assertEquals(0, router.inFlight(), "a refused request is not routed");
    }
  }

  @Test
  void unknownModelIsNotFoundAndAModelWithoutReplicasOrATableIsUnavailable() {
    Admission admission = new Admission(AdmissionSettings.DEFAULTS, clock);
    assertEquals(Code.UNAVAILABLE, ((Refused) admission.admit(request("m", 50 * MS), router)).reason().code(),
        "no table yet");
    publish();
    Refused unknown = (Refused) admission.admit(request("nope", 50 * MS), router);
    assertEquals(Code.NOT_FOUND, unknown.reason().code());
    assertTrue(unknown.message().contains("'nope'"));
    assertEquals(Code.UNAVAILABLE, ((Refused) admission.admit(request("placedNowhere", 50 * MS), router)).reason().code());
  }

  @Test
  void aTenantsTokenBucketAllowsItsBurstThenRefillsAtItsRate() {
    publish();
    // 10 requests/s with a burst of 2: two at once, the third waits 100 ms for a token.
    AdmissionSettings quota = new AdmissionSettings(Duration.ofSeconds(10), Optional.empty(), Map.of("t", new TenantQuota(10, 2)));
    Admission admission = new Admission(quota, clock);
    long far = 10_000 * MS;
    assertInstanceOf(Admitted.class, admission.admit(request("m", far), router));
    assertInstanceOf(Admitted.class, admission.admit(request("m", far), router));
    Refused over = assertInstanceOf(Refused.class, admission.admit(request("m", far), router));
    assertEquals(FailureReason.OVER_QUOTA, over.reason());
    assertEquals(Code.RESOURCE_EXHAUSTED, over.reason().code());
    assertTrue(over.message().contains("'t'") && over.message().contains("100.000 ms"), over.message());
    clock.advance(99 * MS);
    assertInstanceOf(Refused.class, admission.admit(request("m", far), router));
    clock.advance(1 * MS);
    assertInstanceOf(Admitted.class, admission.admit(request("m", far), router));
    assertInstanceOf(Admitted.class, admission.admit(new InferenceRequest("m", "other", clock.nanoTime() + far), router),
        "tenants without a quota are unlimited by default");
  }

  @Test
  void aRequestRefusedForItsDeadlineTakesNoToken() {
    publish();
    AdmissionSettings quota = new AdmissionSettings(Duration.ofSeconds(10), Optional.empty(), Map.of("t", new TenantQuota(1, 1)));
    Admission admission = new Admission(quota, clock);
    assertEquals(FailureReason.DEADLINE_UNREACHABLE, ((Refused) admission.admit(request("m", MS), router)).reason());
    assertInstanceOf(Admitted.class, admission.admit(request("m", 50 * MS), router));
  }

  @Test
  void whenEveryReplicaIsQueuedPastTheBoundTheModelIsOverloaded() {
    publish();
    Admission admission = new Admission(new AdmissionSettings(Duration.ofMillis(5), Optional.empty(), Map.of()), clock);
    Refused r = assertInstanceOf(Refused.class, admission.admit(request("m", 10_000 * MS), router));
    assertEquals(FailureReason.OVERLOADED, r.reason());
    assertEquals(Code.RESOURCE_EXHAUSTED, r.reason().code());
    assertTrue(r.message().contains("'m'") && r.message().contains("10.000 ms"), r.message());
  }

  @Test
  void replicasPastTheBoundAreSkippedNotChosen() {
    router.update(RoutingTable.of(1, 0, List.of(new ModelRoute("m", 2 * MS,
        List.of(new ReplicaLoad(A, 1, 20 * MS, 1.0), new ReplicaLoad(B, 1, 15 * MS, 1.0))))));
    Admission admission = new Admission(new AdmissionSettings(Duration.ofMillis(18), Optional.empty(), Map.of()), clock);
    assertEquals(B, ((Admitted) admission.admit(request("m", 100 * MS), router)).route().gpu());
  }

  @Test
  void aRetryGoesToAnotherReplicaIfTheDeadlineStillAllowsElseUnavailable() {
    publish();
    Admission admission = new Admission(AdmissionSettings.DEFAULTS, clock);
    InferenceRequest ok = request("m", 100 * MS);
    Route first = ((Admitted) admission.admit(ok, router)).route();
    assertEquals(A, first.gpu());
    assertEquals(B, ((Admitted) admission.retry(ok, first, router)).route().gpu());

    InferenceRequest tight = request("m", 20 * MS);
    Route second = ((Admitted) admission.admit(tight, router)).route();
    Refused r = assertInstanceOf(Refused.class, admission.retry(tight, second, router));
    assertEquals(Code.UNAVAILABLE, r.reason().code());
    assertTrue(r.message().contains(second.gpu().toString()), r.message());
  }
}
