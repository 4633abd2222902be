package dev.braid.gpu.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.gpu.engine.InferError;
import dev.braid.protocol.cluster.InferenceWire.FailureReason;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FailureReasonsTest {
  @Test
  void everyEngineErrorHasTheWireReasonThatTellsTheFrontendWhetherToRetryElsewhere() {
    Map<InferError, FailureReason> expected = new EnumMap<>(Map.of(
        InferError.UNKNOWN_MODEL, FailureReason.MODEL_NOT_FOUND,
        InferError.INVALID_INPUT, FailureReason.INVALID_INPUT,
        InferError.TOO_LATE, FailureReason.DEADLINE_EXCEEDED,
        InferError.UNLOADED, FailureReason.UNAVAILABLE,
        InferError.DRAINING, FailureReason.UNAVAILABLE,
        InferError.OUT_OF_MEMORY, FailureReason.OVERLOADED,
        InferError.DEVICE_FAILED, FailureReason.INTERNAL,
        InferError.DEVICE_UNHEALTHY, FailureReason.UNAVAILABLE,
        InferError.CANCELLED, FailureReason.UNAVAILABLE,
        InferError.INTERNAL, FailureReason.INTERNAL));
    assertEquals(InferError.values().length, expected.size(), "a new InferError needs its row here");
    expected.forEach((error, reason) -> assertEquals(reason, FailureReasons.of(error), error.name()));
  }
}
