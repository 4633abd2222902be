package dev.braid.protocol.cluster;

import dev.braid.protocol.WireMessage;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the coordinator (the cluster singleton) understands from frontends and the admin service,
 * and what it answers. Requests never pass through it: frontends route with the
 * {@link RoutingTableWire} it publishes.
 */
public final class CoordinatorWire {
  private CoordinatorWire() {}

  /** Everything the coordinator accepts from other nodes. */
  public interface Command extends WireMessage {}

  /**
   * Serve {@code model} from the repository (RepositoryModelLoad): placed on GPUs, answered once
   * one replica serves it or every attempt failed.
   */
  public record LoadModel(String model, ActorRef<ModelReply> replyTo) implements Command {
    public LoadModel {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Stop serving {@code model} (RepositoryModelUnload) anywhere; answered once every replica is unloaded. */
  public record UnloadModel(String model, ActorRef<ModelReply> replyTo) implements Command {
    public UnloadModel {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * The outcome of {@link LoadModel} or {@link UnloadModel}.
   *
   * @param code a gRPC status code name: "OK", "NOT_FOUND" (no such model in the repository, or
   *     not loaded), "FAILED_PRECONDITION" (it does not load), "UNAVAILABLE" (no GPU to hold it)
   * @param version the version serving after a load (0 otherwise)
   * @param message what happened, naming the model
   */
  public record ModelReply(String model, String code, long version, String message) implements WireMessage {
    public ModelReply {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }

    public boolean ok() {
      return "OK".equals(code);
    }
  }

  /** Asks for the cluster's {@link ClusterStatus}. */
  public record GetStatus(ActorRef<ClusterStatus> replyTo) implements Command {
    public GetStatus {
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * The cluster as the coordinator sees it.
   *
   * @param coordinator the address of the node running the coordinator
   * @param tableVersion the version of the routing table last published
   * @param nodes every member, by address
   * @param gpus every GPU known, with its latest report
   * @param models every model the cluster should serve
   */
  public record ClusterStatus(String coordinator, long tableVersion, List<NodeStatus> nodes, List<GpuWire.Report> gpus,
      List<ModelStatus> models) implements WireMessage {
    public ClusterStatus {
      Objects.requireNonNull(coordinator, "coordinator");
      nodes = List.copyOf(nodes);
      gpus = List.copyOf(gpus);
      models = List.copyOf(models);
    }
  }

  /**
   * One member of the cluster.
   *
   * @param status Pekko's member status ("Up", "Leaving", "Exiting", ...), or "Unreachable"
   * @param roles its roles (frontend, coordinator, gpu)
   * @param drain "" when serving; "draining" or "drained" (safe to remove) after a {@link DrainNode}
   */
  public record NodeStatus(String address, String status, List<String> roles, String drain) implements WireMessage {
    public NodeStatus {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(status, "status");
      roles = List.copyOf(roles);
      Objects.requireNonNull(drain, "drain");
    }
  }

  /**
   * One model's placement.
   *
   * @param state "READY" (some replica serves), "LOADING" or "UNAVAILABLE"
   * @param replicas the GPU ids serving it
   * @param reason why it is not READY, empty otherwise
   */
  public record ModelStatus(String model, long version, String state, List<String> replicas, String reason)
      implements WireMessage {
    public ModelStatus {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(state, "state");
      replicas = List.copyOf(replicas);
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * Drain the node at {@code address}: routing to its GPUs stops, its models are re-placed on the
   * others, its GPUs finish their in-flight work; answered {@link DrainReply} once it is safe to
   * remove (or at once when it cannot be drained).
   */
  public record DrainNode(String address, ActorRef<DrainReply> replyTo) implements Command {
    public DrainNode {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * @param safeToRemove true when the node holds no work and receives none
   * @param message what happened, naming the node (and, when refused, why: unknown address, ...)
   */
  public record DrainReply(String address, boolean safeToRemove, String message) implements WireMessage {
    public DrainReply {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(message, "message");
    }
  }

  /** Switch GPU {@code gpu}'s scheduling policy (or every GPU's when {@code gpu} is "*"). */
  public record SetPolicy(String gpu, String policy, ActorRef<PolicyResult> replyTo) implements Command {
    public SetPolicy {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** The GPUs' answers to {@link SetPolicy}; {@code message} names what was refused and why. */
  public record PolicyResult(boolean accepted, List<GpuWire.PolicyReply> replies, String message)
      implements WireMessage {
    public PolicyResult {
      replies = List.copyOf(replies);
      Objects.requireNonNull(message, "message");
    }
  }
}
