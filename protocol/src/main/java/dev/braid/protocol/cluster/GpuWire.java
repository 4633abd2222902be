package dev.braid.protocol.cluster;

import dev.braid.protocol.WireMessage;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a GPU's endpoint (the actor a {@code gpu} node registers with the Receptionist for each of
 * its GPUs) understands, from the coordinator and from frontends, and what it answers. Requests
 * themselves are {@link InferenceWire.Infer}, which is also a {@link Command}.
 *
 * <p>Models are named, not shipped: the endpoint reads them from its own node's model repository,
 * so every {@code gpu} node needs the repository (the same directory, or a copy of it).
 */
public final class GpuWire {
  private GpuWire() {}

  /** Everything a GPU endpoint accepts. */
  public interface Command extends WireMessage {}

  /**
   * Loads {@code model} from the node's repository (its newest version); answered {@link Loaded}
   * or {@link LoadFailed}. A model already loaded is answered {@link Loaded} at once.
   */
  public record Load(String model, ActorRef<LoadReply> replyTo) implements Command {
    public Load {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The answers to {@link Load}. */
  public sealed interface LoadReply extends WireMessage permits Loaded, LoadFailed {
    String model();

    /** Which GPU answers. */
    String gpu();
  }

  /** {@code model} serves on {@code gpu}. */
  public record Loaded(String gpu, ModelInfo info) implements LoadReply {
    public Loaded {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(info, "info");
    }

    @Override
    public String model() {
      return info.name();
    }
  }

  /** {@code model} did not load on {@code gpu}; {@code reason} is the model's or the device's own message. */
  public record LoadFailed(String gpu, String model, String reason) implements LoadReply {
    public LoadFailed {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Unloads {@code model}; its queued requests fail UNAVAILABLE (the frontend retries them elsewhere). */
  public record Unload(String model, ActorRef<Unloaded> replyTo) implements Command {
    public Unload {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** {@code model} is gone from {@code gpu}; {@code wasLoaded} is false when it was not there. */
  public record Unloaded(String gpu, String model, boolean wasLoaded) implements WireMessage {
    public Unloaded {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(model, "model");
    }
  }

  /** Asks for a {@link Report}. */
  public record GetReport(ActorRef<Report> replyTo) implements Command {
    public GetReport {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * A model as one GPU holds it.
   *
   * @param version the repository version loaded
   * @param weightsBytes device memory its weights take
   * @param requestNanos predicted device time of one batch-1 request (the GPU's cost model), > 0
   * @param maxBatchSize the model's max_batch_size (0: it does not batch)
   * @param requests requests of this model the GPU received since it loaded the model (the
   *     coordinator derives each model's arrival rate from it)
   */
  public record ModelInfo(String name, long version, long weightsBytes, long requestNanos, int maxBatchSize,
      long requests) implements WireMessage {
    public ModelInfo {
      Objects.requireNonNull(name, "name");
      if (requestNanos <= 0) {
        throw new IllegalArgumentException("requestNanos of model '" + name + "' must be > 0, got " + requestNanos);
      }
    }
  }

  /**
   * One GPU's state, as its endpoint sees it now.
   *
   * @param gpu the GPU's id, "{@code nodeAddress}#{@code ordinal}"
   * @param nodeAddress the cluster address of the GPU's node
   * @param ordinal the GPU's index on its node
   * @param device what the device is ("NVIDIA H100 80GB HBM3", "sim-h100", "cpu")
   * @param memoryBytes the device's memory
   * @param allocatedBytes device memory in use now
   * @param models the models loaded and serving, by name
   * @param policy the scheduling policy in use
   * @param queueDepth requests received and not yet answered
   * @param predictedQueueNanos device time the work it holds still needs, by its cost model
   * @param utilisation share of the time since the previous report during which the device was busy, in [0, 1]
   * @param sloAttainment share of the requests answered since start that met their deadline, in [0, 1] (1 when none)
   * @param completed requests answered with outputs since start
   * @param failed requests answered with an error since start
   * @param restarts how often the GPU actor was restarted after an unexpected exception (a fault of
   *     Braid: each restart answered the requests it held with INTERNAL and reloaded its models)
   * @param draining whether it takes no new work
   * @param healthy false once the device failed; {@code unhealthyReason} says why
   */
  public record Report(
      String gpu,
      String nodeAddress,
      int ordinal,
      String device,
      long memoryBytes,
      long allocatedBytes,
      Map<String, ModelInfo> models,
      String policy,
      int queueDepth,
      long predictedQueueNanos,
      double utilisation,
      double sloAttainment,
      long completed,
      long failed,
      int restarts,
      boolean draining,
      boolean healthy,
      String unhealthyReason)
      implements WireMessage {
    public Report {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(nodeAddress, "nodeAddress");
      Objects.requireNonNull(device, "device");
      models = Map.copyOf(models);
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(unhealthyReason, "unhealthyReason");
    }
  }

  /** Switches the GPU's scheduling policy; answered {@link PolicyReply}. */
  public record SetPolicy(String policy, ActorRef<PolicyReply> replyTo) implements Command {
    public SetPolicy {
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Whether {@link SetPolicy} took; {@code message} names the valid policies when it did not. */
  public record PolicyReply(String gpu, boolean accepted, String message) implements WireMessage {
    public PolicyReply {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * Stops taking new work (new requests are answered UNAVAILABLE, so that frontends retry them
   * elsewhere) and answers {@link Drained} once the work it holds has finished.
   */
  public record Drain(ActorRef<Drained> replyTo) implements Command {
    public Drain {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** {@code gpu} holds no work and takes none. */
  public record Drained(String gpu) implements WireMessage {
    public Drained {
      Objects.requireNonNull(gpu, "gpu");
    }
  }

  /** The id of GPU {@code ordinal} of the node at {@code nodeAddress}. */
  public static String gpuId(String nodeAddress, int ordinal) {
    return nodeAddress + "#" + ordinal;
  }
}
