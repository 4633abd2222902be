package dev.braid.gpu;

import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A GPU whose device did not open at its first start: it stays registered so that the coordinator
 * sees why, and answers everything at once from that reason (requests GPU_UNAVAILABLE, so the frontend
 * tries another GPU; loads failed; reports unhealthy; drains drained).
 */
final class Unopened {
  private Unopened() {}

  static Behavior<Object> create(String nodeAddress, int ordinal, String policy, String why) {
    String gpu = GpuWire.gpuId(nodeAddress, ordinal);
    String reason = "gpu " + gpu + ": " + why;
    InFlight refused = new InFlight(0);
    return Behaviors.receive(Object.class)
        .onMessage(InferenceWire.Infer.class, m -> {
          refused.refuse(m, FailureReason.GPU_UNAVAILABLE, reason);
          return Behaviors.same();
        })
        .onMessage(GpuWire.Load.class, m -> {
          m.replyTo().tell(new GpuWire.LoadFailed(gpu, m.model(), reason));
          return Behaviors.same();
        })
        .onMessage(GpuWire.Unload.class, m -> {
          m.replyTo().tell(new GpuWire.Unloaded(gpu, m.model(), false));
          return Behaviors.same();
        })
        .onMessage(GpuWire.SetPolicy.class, m -> {
          m.replyTo().tell(new GpuWire.PolicyReply(gpu, false, reason));
          return Behaviors.same();
        })
        .onMessage(GpuWire.GetReport.class, m -> {
          m.replyTo().tell(GpuReports.withoutDevice(nodeAddress, ordinal, policy, refused, why));
          return Behaviors.same();
        })
        .onMessage(GpuWire.Drain.class, m -> {
          m.replyTo().tell(new GpuWire.Drained(gpu));
          return Behaviors.same();
        })
        .build();
  }
}
