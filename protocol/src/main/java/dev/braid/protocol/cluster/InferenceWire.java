package dev.braid.protocol.cluster;

import dev.braid.model.Tensor;
import dev.braid.protocol.WireMessage;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The conversation between a frontend and the GPU actor that runs a request: one {@link Infer},
 * answered by exactly one {@link Reply} ({@link Completed} or {@link Failed}) sent to its {@code
 * replyTo}.
 */
public final class InferenceWire {
  private InferenceWire() {}

  /** What a GPU actor answers to one {@link Infer}. */
  public sealed interface Reply extends WireMessage permits Completed, Failed {
    /** The {@link Infer#requestId()} this answers. */
    String requestId();
  }

  /**
   * Run {@code model} (version {@code version}; empty means the newest the node holds) on {@code
   * inputs}.
   *
   * @param requestId unique per frontend and per attempt (a retry gets a new one), so that a late
   *     answer to a first attempt is not taken for the retry's
   * @param deadlineBudget time left until the client's deadline when the frontend sent this. A
   *     budget, not an instant: node clocks are not synchronised, so the receiver adds it to its
   *     own clock on arrival (the network delay is charged to the request's slack)
   * @param priority Triton's priority level: 1 is the highest, larger numbers lower, 0 the model's default
   * @param tenant whose quota the request counts against
   * @param clientRequestId the client's own id for the request (the Open Inference Protocol's
   *     {@code id}), "" when it gave none; the same on every attempt. The GPU reports it when the
   *     request starts executing (the node's event stream), so that a test can count executions
   *     per request
   */
  public record Infer(
      String requestId,
      String model,
      String version,
      Map<String, Tensor> inputs,
      Duration deadlineBudget,
      int priority,
      String tenant,
      ActorRef<Reply> replyTo,
      String clientRequestId)
      implements GpuWire.Command {
    public Infer {
      Objects.requireNonNull(requestId, "requestId");
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(version, "version");
      inputs = Map.copyOf(Objects.requireNonNull(inputs, "inputs"));
      Objects.requireNonNull(deadlineBudget, "deadlineBudget");
      if (deadlineBudget.isNegative()) {
        throw new IllegalArgumentException("deadlineBudget must be >= 0, got " + deadlineBudget);
      }
      Objects.requireNonNull(tenant, "tenant");
      Objects.requireNonNull(replyTo, "replyTo");
      Objects.requireNonNull(clientRequestId, "clientRequestId");
    }

    /** A request the client gave no id. */
    public Infer(String requestId, String model, String version, Map<String, Tensor> inputs, Duration deadlineBudget,
        int priority, String tenant, ActorRef<Reply> replyTo) {
      this(requestId, model, version, inputs, deadlineBudget, priority, tenant, replyTo, "");
    }
  }

  /** The request ran; {@code outputs} are the model's outputs by name. */
  public record Completed(String requestId, Map<String, Tensor> outputs) implements Reply {
    public Completed {
      Objects.requireNonNull(requestId, "requestId");
      outputs = Map.copyOf(Objects.requireNonNull(outputs, "outputs"));
    }
  }

  /** The request did not run, or did not finish; {@code message} says what the client should read. */
  public record Failed(String requestId, FailureReason reason, String message) implements Reply {
    public Failed {
      Objects.requireNonNull(requestId, "requestId");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }
}
