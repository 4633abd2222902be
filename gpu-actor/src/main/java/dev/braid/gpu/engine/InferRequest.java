package dev.braid.gpu.engine;

import dev.braid.model.Tensor;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * One inference submitted to a {@link GpuEngine}.
 *
 * @param model the loaded model's name
 * @param inputs one tensor per model input; for a model that batches ({@code max_batch_size > 0})
 *     each has a leading dimension of the same {@code n} rows, {@code 1 <= n <= max_batch_size},
 *     the rest of its shape as the model declares; for one that does not, exactly the declared
 *     shape
 * @param deadlineNanos absolute time on the engine's clock after which an answer is useless;
 *     {@link Long#MAX_VALUE} for none
 * @param priorityLevel Triton's level: 1 is the highest, 0 the model's default
 * @param reply called exactly once, on the engine's owner thread, with the outputs or an error
 * @param requestId the client's id for the request (the Open Inference Protocol's {@code id}), ""
 *     when it gave none: what {@link EngineListener#requestLaunched} reports
 */
public record InferRequest(String model, Map<String, Tensor> inputs, long deadlineNanos, int priorityLevel,
    Consumer<InferResult> reply, String requestId) {
  public InferRequest {
    Objects.requireNonNull(model, "model");
    inputs = Map.copyOf(inputs);
    Objects.requireNonNull(reply, "reply");
    Objects.requireNonNull(requestId, "requestId");
  }

  /** A request the client gave no id. */
  public InferRequest(String model, Map<String, Tensor> inputs, long deadlineNanos, int priorityLevel,
      Consumer<InferResult> reply) {
    this(model, inputs, deadlineNanos, priorityLevel, reply, "");
  }
}
