package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.admin.AdminService;
import dev.braid.coordinator.admin.FakeAdminBackend;
import dev.braid.gpu.GpuActor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin service shares the front door's gRPC port with the Open Inference Protocol. */
class FrontDoorAdminTest {
  @TempDir Path repo;

  @Test
  void adminServiceIsServedOnTheFrontDoorsPortBesideTheInferenceProtocol() throws Exception {
    ActorTestKit kit = ActorTestKit.create();
    try {
      TestProbe<GpuActor.Command> gpu = kit.createTestProbe();
      InferenceService inference = new InferenceService(gpu.ref(), ModelRepository.open(repo),
          FrontendSettings.load().withPorts(0, 0), kit.scheduler(), Runnable::run, "test");
      try (FrontDoorServer server = FrontDoorServer.start(inference, FrontendSettings.load().withPorts(0, 0),
          List.of(new AdminService(new FakeAdminBackend())))) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
        try {
          assertTrue(GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
              .serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
          assertEquals(FakeAdminBackend.COORDINATOR_NODE, BraidAdminGrpc.newBlockingStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS).clusterStatus(ClusterStatusRequest.getDefaultInstance())
              .getCoordinatorAddress());
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    } finally {
      kit.shutdownTestKit();
    }
  }
}
