package dev.braid.coordinator.admin.internal;

import dev.braid.protocol.admin.ClusterStatusResponse;
import dev.braid.protocol.admin.DrainNodeResponse;
import dev.braid.protocol.admin.GpuModel;
import dev.braid.protocol.admin.GpuPolicyResult;
import dev.braid.protocol.admin.GpuStatus;
import dev.braid.protocol.admin.ModelStatus;
import dev.braid.protocol.admin.NodeStatus;
import dev.braid.protocol.admin.SetPolicyResponse;
import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.util.Comparator;

/**
 * The coordinator's wire records as the admin protocol's messages: one method per message, every
 * field carried. Nanoseconds become milliseconds (the proto's fields say so in their names);
 * a GPU's models are listed by name, so the output does not depend on a map's order.
 */
public final class AdminProtos {
  private static final double NANOS_PER_MILLI = 1e6;

  private AdminProtos() {}

  public static ClusterStatusResponse status(CoordinatorWire.ClusterStatus s) {
    ClusterStatusResponse.Builder b = ClusterStatusResponse.newBuilder()
        .setCoordinatorAddress(s.coordinator())
        .setTableVersion(s.tableVersion());
    s.nodes().forEach(n -> b.addNodes(node(n)));
    s.gpus().forEach(g -> b.addGpus(gpu(g)));
    s.models().forEach(m -> b.addModels(model(m)));
    return b.build();
  }

  public static NodeStatus node(CoordinatorWire.NodeStatus n) {
    return NodeStatus.newBuilder()
        .setAddress(n.address())
        .setStatus(n.status())
        .addAllRoles(n.roles())
        .setDrainState(n.drain())
        .build();
  }

  public static GpuStatus gpu(GpuWire.Report r) {
    GpuStatus.Builder b = GpuStatus.newBuilder()
        .setGpuId(r.gpu())
        .setNodeAddress(r.nodeAddress())
        .setOrdinal(r.ordinal())
        .setDevice(r.device())
        .setMemoryTotalBytes(r.memoryBytes())
        .setMemoryAllocatedBytes(r.allocatedBytes())
        .setPolicy(r.policy())
        .setQueueDepth(r.queueDepth())
        .setPredictedQueueMs(r.predictedQueueNanos() / NANOS_PER_MILLI)
        .setUtilisation(r.utilisation())
        .setSloAttainment(r.sloAttainment())
        .setCompleted(r.completed())
        .setFailed(r.failed())
        .setRestarts(r.restarts())
        .setDraining(r.draining())
        .setHealthy(r.healthy())
        .setUnhealthyReason(r.unhealthyReason());
    r.models().values().stream().sorted(Comparator.comparing(GpuWire.ModelInfo::name))
        .forEach(m -> b.addModels(model(m)));
    return b.build();
  }

  public static GpuModel model(GpuWire.ModelInfo m) {
    return GpuModel.newBuilder()
        .setName(m.name())
        .setVersion(m.version())
        .setWeightsBytes(m.weightsBytes())
        .setRequestMs(m.requestNanos() / NANOS_PER_MILLI)
        .setMaxBatchSize(m.maxBatchSize())
        .build();
  }

  public static ModelStatus model(CoordinatorWire.ModelStatus m) {
    return ModelStatus.newBuilder()
        .setName(m.model())
        .setVersion(m.version())
        .setState(m.state())
        .addAllReplicaGpuIds(m.replicas())
        .setReason(m.reason())
        .build();
  }

  public static DrainNodeResponse drain(CoordinatorWire.DrainReply d) {
    return DrainNodeResponse.newBuilder()
        .setNodeAddress(d.address())
        .setSafeToRemove(d.safeToRemove())
        .setMessage(d.message())
        .build();
  }

  public static SetPolicyResponse policy(CoordinatorWire.PolicyResult p) {
    SetPolicyResponse.Builder b = SetPolicyResponse.newBuilder().setAccepted(p.accepted()).setMessage(p.message());
    for (GpuWire.PolicyReply r : p.replies()) {
      b.addResults(GpuPolicyResult.newBuilder().setGpuId(r.gpu()).setAccepted(r.accepted()).setMessage(r.message()));
    }
    return b.build();
  }
}
