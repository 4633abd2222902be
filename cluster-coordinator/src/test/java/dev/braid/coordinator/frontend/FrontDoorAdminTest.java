package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.admin.ClusterStatusResponse;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node serves the admin service on the front door's gRPC port beside the Open Inference
 * Protocol, answered by the cluster's coordinator.
 */
class FrontDoorAdminTest {
  @TempDir Path repo;

  @Test
  void adminServiceIsServedOnTheFrontDoorsPortBesideTheInferenceProtocol() throws Exception {
    try (SingleNode node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(1), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0), ConfigFactory.load(), "test")) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
      try {
        assertTrue(GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        ClusterStatusResponse status = BraidAdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .clusterStatus(ClusterStatusRequest.getDefaultInstance());
        assertTrue(status.getCoordinatorAddress().startsWith("pekko://braid@127.0.0.1:"), status.toString());
        assertEquals(1, status.getNodesCount(), status.toString());
        assertEquals(List.of("coordinator", "frontend", "gpu"), status.getNodes(0).getRolesList(), status.toString());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
