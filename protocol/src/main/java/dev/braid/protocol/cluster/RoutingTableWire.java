package dev.braid.protocol.cluster;

import dev.braid.protocol.WireMessage;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The routing table the coordinator publishes to frontends, so that requests go straight to a
 * GPU instead of through the coordinator's mailbox. A frontend keeps the table with the highest
 * {@code version} it has seen and ignores older ones (publications may arrive out of order).
 *
 * @param version increases with every publication by the coordinator; > 0
 * @param models every model the cluster should serve, by name; a model placed nowhere (yet, or
 *     any more) has an empty replica list
 */
public record RoutingTableWire(long version, Map<String, Route> models) implements WireMessage {

  public RoutingTableWire {
    if (version <= 0) {
      throw new IllegalArgumentException("version must be > 0, got " + version);
    }
    models = Map.copyOf(Objects.requireNonNull(models, "models"));
    models.forEach((name, route) -> {
      if (!name.equals(route.model())) {
        throw new IllegalArgumentException("route of model '" + route.model() + "' filed under '" + name + "'");
      }
    });
  }

  /**
   * Where one model serves.
   *
   * @param modelVersion the repository version its replicas hold (0 while none holds it)
   * @param requestNanos predicted device time of one batch-1 request, > 0
   * @param state "READY" with replicas, else "LOADING" or "UNAVAILABLE"
   * @param reason why it is not READY (a load failure's message), empty otherwise
   */
  public record Route(String model, long modelVersion, long requestNanos, List<Replica> replicas, String state,
      String reason) implements WireMessage {
    public Route {
      Objects.requireNonNull(model, "model");
      if (requestNanos <= 0) {
        throw new IllegalArgumentException("requestNanos of model '" + model + "' must be > 0, got " + requestNanos);
      }
      replicas = List.copyOf(replicas);
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * One GPU holding a model.
   *
   * @param gpu the GPU endpoint to send {@link InferenceWire.Infer} to
   * @param nodeAddress the cluster address of its node ("pekko://braid@host:port"), so that a
   *     frontend drops the node's replicas as soon as it learns the node left
   * @param ordinal the GPU's index on its node
   * @param queueDepth requests it held when the table was built
   * @param predictedQueueNanos the work queued on that GPU when the table was built, as its cost
   *     model predicts it
   * @param sloAttainment share of its requests that met their deadline, in [0, 1]
   */
  public record Replica(ActorRef<InferenceWire.Infer> gpu, String nodeAddress, int ordinal, int queueDepth,
      long predictedQueueNanos, double sloAttainment) implements WireMessage {
    public Replica {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(nodeAddress, "nodeAddress");
      if (predictedQueueNanos < 0) {
        throw new IllegalArgumentException("predictedQueueNanos must be >= 0, got " + predictedQueueNanos);
      }
      if (queueDepth < 0) {
        throw new IllegalArgumentException("queueDepth must be >= 0, got " + queueDepth);
      }
    }
  }
}
