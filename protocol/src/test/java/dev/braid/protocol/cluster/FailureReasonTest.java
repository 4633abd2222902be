package dev.braid.protocol.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status.Code;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FailureReasonTest {
  /**
   * The one table from a request's failure to the gRPC status its client reads, pinned: the codes
   * are the ones the front door answered before the vocabularies were merged (the engine's errors
   * through the wire's reasons, admission's refusals through their own table).
   */
  @Test
  void everyReasonHasTheGrpcStatusItsClientReads() {
    Map<FailureReason, Code> expected = new EnumMap<>(FailureReason.class);
    expected.put(FailureReason.UNKNOWN_MODEL, Code.NOT_FOUND);
    expected.put(FailureReason.INVALID_INPUT, Code.INVALID_ARGUMENT);
    expected.put(FailureReason.NO_REPLICA, Code.UNAVAILABLE);
    expected.put(FailureReason.OVER_QUOTA, Code.RESOURCE_EXHAUSTED);
    expected.put(FailureReason.OVERLOADED, Code.RESOURCE_EXHAUSTED);
    expected.put(FailureReason.DEADLINE_UNREACHABLE, Code.DEADLINE_EXCEEDED);
    expected.put(FailureReason.RETRY_IMPOSSIBLE, Code.UNAVAILABLE);
    expected.put(FailureReason.TOO_LATE, Code.DEADLINE_EXCEEDED);
    expected.put(FailureReason.DRAINING, Code.UNAVAILABLE);
    expected.put(FailureReason.UNLOADED, Code.UNAVAILABLE);
    expected.put(FailureReason.CANCELLED, Code.UNAVAILABLE);
    expected.put(FailureReason.GPU_UNAVAILABLE, Code.UNAVAILABLE);
    expected.put(FailureReason.OUT_OF_MEMORY, Code.RESOURCE_EXHAUSTED);
    expected.put(FailureReason.DEVICE_FAILED, Code.INTERNAL);
    expected.put(FailureReason.DEVICE_UNHEALTHY, Code.UNAVAILABLE);
    expected.put(FailureReason.INTERNAL, Code.INTERNAL);
    assertEquals(FailureReason.values().length, expected.size(), "a new FailureReason needs its row here");
    expected.forEach((reason, code) -> {
      assertEquals(code, reason.code(), reason.name());
      assertEquals(code, reason.status("m").getCode(), reason.name());
      assertEquals("m", reason.status("m").getDescription(), reason.name());
    });
  }

  /**
   * The retry rule: a GPU's failure is retried once on another replica exactly when the model or
   * the GPU went away under the request (or never took it); never when the client or the deadline
   * is at fault, or the device failed the request itself.
   */
  @Test
  void aFrontendRetriesElsewhereOnlyWhatAnotherReplicaCouldServe() {
    Set<FailureReason> retried = Set.of(FailureReason.DRAINING, FailureReason.UNLOADED, FailureReason.CANCELLED,
        FailureReason.GPU_UNAVAILABLE, FailureReason.DEVICE_UNHEALTHY, FailureReason.NO_REPLICA,
        FailureReason.RETRY_IMPOSSIBLE);
    for (FailureReason r : FailureReason.values()) {
      assertEquals(retried.contains(r), r.retriesElsewhere(), r.name());
    }
  }
}
