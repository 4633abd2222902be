package dev.braid.protocol.cluster;

import dev.braid.protocol.WireMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The routing table the coordinator publishes to frontends, so that requests go straight to a
 * GPU actor instead of through the coordinator's mailbox. A frontend keeps the table with the
 * highest {@code version} it has seen and ignores older ones (publications may arrive out of
 * order).
 *
 * @param version increases with every publication by the coordinator
 * @param replicasByModel for each model name, the GPU actors that hold it (never an empty list)
 */
public record RoutingTableWire(long version, Map<String, List<Replica>> replicasByModel) implements WireMessage {

  public RoutingTableWire {
    if (version < 0) {
      throw new IllegalArgumentException("version must be >= 0, got " + version);
    }
    Objects.requireNonNull(replicasByModel, "replicasByModel");
    Map<String, List<Replica>> copy = new LinkedHashMap<>();
    replicasByModel.forEach((model, replicas) -> {
      if (replicas.isEmpty()) {
        throw new IllegalArgumentException("model " + model + " has an empty replica list");
      }
      copy.put(model, List.copyOf(replicas));
    });
    replicasByModel = Map.copyOf(copy);
  }

  /**
   * One GPU holding a model.
   *
   * @param gpu the GPU actor to send {@link InferenceWire.Infer} to
   * @param nodeAddress the cluster address of its node ("pekko://braid@host:port"), so that
   *     a frontend drops the node's replicas as soon as it learns the node left
   * @param predictedQueueNanos the work queued on that GPU when the table was built, as the cost
   *     model predicts it
   */
  public record Replica(ActorRef<InferenceWire.Infer> gpu, String nodeAddress, long predictedQueueNanos) {
    public Replica {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(nodeAddress, "nodeAddress");
      if (predictedQueueNanos < 0) {
        throw new IllegalArgumentException("predictedQueueNanos must be >= 0, got " + predictedQueueNanos);
      }
    }
  }
}
