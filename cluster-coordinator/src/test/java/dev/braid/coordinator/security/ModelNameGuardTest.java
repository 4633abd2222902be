package dev.braid.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.frontend.SingleNode;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.RepositoryModelLoadRequest;
import dev.braid.protocol.grpc.RepositoryModelUnloadRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Path traversal through a model name: refused at the front door, naming the field and the name. */
class ModelNameGuardTest {
  @TempDir Path parent;

  @Test
  void namesThatAreNotOneDirectoryAreRefused() {
    for (String bad : List.of("..", ".", "../outside", "/etc", "a/b", "a\\b", "x\u0000y", "x".repeat(256))) {
      assertTrue(ModelNameGuard.problem(bad).isPresent(), bad);
    }
    for (String ok : List.of("mlp", "resnet18", "test_abs", "my.model-v2", "x".repeat(255), "..a", "a..b")) {
      assertTrue(ModelNameGuard.problem(ok).isEmpty(), ok);
    }
    assertTrue(ModelNameGuard.problem("x\u0000y").orElseThrow().contains("'x\\u0000y'"));
  }

  @Test
  void repositoryLoadOfAPathOutsideTheRepositoryIsInvalidArgument() throws Exception {
    Path repo = Files.createDirectories(parent.resolve("repo"));
    Files.createDirectories(parent.resolve("outside/1"));
    try (SingleNode node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(1), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0), ConfigFactory.load(), "test")) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
      try {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        for (String name : List.of("../outside", parent.resolve("outside").toString(), "..")) {
          StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.repositoryModelLoad(
              RepositoryModelLoadRequest.newBuilder().setModelName(name).build()));
          assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), name);
          assertTrue(e.getStatus().getDescription().startsWith("model_name: expected a model name")
              && e.getStatus().getDescription().contains("'" + name + "'"), e.getStatus().getDescription());
          e = assertThrows(StatusRuntimeException.class, () -> stub.repositoryModelUnload(
              RepositoryModelUnloadRequest.newBuilder().setModelName(name).build()));
          assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), name);
        }
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.modelMetadata(
            ModelMetadataRequest.newBuilder().setName("../outside").build()));
        assertTrue(e.getStatus().getDescription().startsWith("name: "), e.getStatus().getDescription());
        // A name that is one directory passes the guard: the service answers it (not in the repository).
        e = assertThrows(StatusRuntimeException.class, () -> stub.repositoryModelLoad(
            RepositoryModelLoadRequest.newBuilder().setModelName("outside").build()));
        assertTrue(e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT
            || !e.getStatus().getDescription().startsWith("model_name: expected a model name"), e.toString());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
