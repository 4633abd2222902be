package dev.braid.gpu.engine;

import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.FailureReason;
import java.util.Map;
import java.util.Objects;

/** The one answer every submitted request gets: its outputs, or an error with its reason. */
public sealed interface InferResult {
  /**
   * The request's outputs, one tensor per model output, with the request's rows only.
   *
   * @param completedNanos when the outputs were on the host (the engine's clock)
   */
  record Completed(Map<String, Tensor> outputs, long completedNanos) implements InferResult {
    public Completed {
      outputs = Map.copyOf(outputs);
    }
  }

  /** The request failed; {@code message} says what and names the model. */
  record Failed(FailureReason reason, String message) implements InferResult {
    public Failed {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }
}
