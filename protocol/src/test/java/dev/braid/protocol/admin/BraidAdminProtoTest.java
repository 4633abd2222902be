package dev.braid.protocol.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The admin protocol as released: operators' scripts and other clients depend on its names and
 * field numbers, so each message's fields are pinned here; a change must be an addition.
 */
class BraidAdminProtoTest {
  private static String fields(Descriptor d) {
    return d.getFields().stream().map(f -> f.getName() + "=" + f.getNumber()).collect(Collectors.joining(" "));
  }

  @Test
  void serviceHasItsThreeRpcs() {
    assertEquals("braid.admin.v1.BraidAdmin", BraidAdminProto.getDescriptor().getServices().get(0).getFullName());
    assertEquals("ClusterStatus(ClusterStatusRequest)->ClusterStatusResponse "
            + "SetPolicy(SetPolicyRequest)->SetPolicyResponse DrainNode(DrainNodeRequest)->DrainNodeResponse",
        BraidAdminProto.getDescriptor().getServices().get(0).getMethods().stream()
            .map((MethodDescriptor m) -> m.getName() + "(" + m.getInputType().getName() + ")->"
                + m.getOutputType().getName())
            .collect(Collectors.joining(" ")));
  }

  @Test
  void fieldNumbersArePinned() {
    assertEquals("", fields(ClusterStatusRequest.getDescriptor()));
    assertEquals("coordinator_address=1 table_version=2 nodes=3 gpus=4 models=5",
        fields(ClusterStatusResponse.getDescriptor()));
    assertEquals("address=1 status=2 roles=3 drain_state=4", fields(NodeStatus.getDescriptor()));
    assertEquals("gpu_id=1 node_address=2 ordinal=3 device=4 memory_total_bytes=5 memory_allocated_bytes=6 policy=7 "
            + "queue_depth=8 predicted_queue_ms=9 utilisation=10 slo_attainment=11 completed=12 failed=13 draining=14 "
            + "healthy=15 unhealthy_reason=16 models=17 restarts=18",
        fields(GpuStatus.getDescriptor()));
    assertEquals("name=1 version=2 weights_bytes=3 request_ms=4 max_batch_size=5", fields(GpuModel.getDescriptor()));
    assertEquals("name=1 version=2 state=3 replica_gpu_ids=4 reason=5", fields(ModelStatus.getDescriptor()));
    assertEquals("gpu_id=1 policy=2", fields(SetPolicyRequest.getDescriptor()));
    assertEquals("accepted=1 results=2 message=3", fields(SetPolicyResponse.getDescriptor()));
    assertEquals("gpu_id=1 accepted=2 message=3", fields(GpuPolicyResult.getDescriptor()));
    assertEquals("node_address=1", fields(DrainNodeRequest.getDescriptor()));
    assertEquals("node_address=1 safe_to_remove=2 message=3", fields(DrainNodeResponse.getDescriptor()));
  }
}
