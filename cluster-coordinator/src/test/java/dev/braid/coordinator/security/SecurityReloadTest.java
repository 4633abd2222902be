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
import dev.braid.protocol.grpc.ServerMetadataRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotation without a restart: the front door re-reads its certificate, key, client CA and tokens
 * file when they change (every 200 ms here), and new connections and calls use the new ones.
 */
class SecurityReloadTest {
  @TempDir Path repo;
  @TempDir Path live;
  @TempDir Path first;
  @TempDir Path second;

  private static void copy(Path from, Path to) throws Exception {
    // As certificate managers do: write beside, then rename over the old file.
    for (String f : List.of("server.pem", "server.key", "ca.pem", "tokens")) {
      Path tmp = to.resolve(f + ".new");
      Files.copy(from.resolve(f), tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, to.resolve(f), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static Status.Code metadata(int port, Path caDir, String token) throws Exception {
    ManagedChannel c = Grpc.newChannelBuilderForAddress("localhost", port, ClientCredentials.of(true,
            Optional.of(caDir.resolve("ca.pem")), Optional.of(caDir.resolve("client.pem")),
            Optional.of(caDir.resolve("client.key"))))
        .intercept(ClientCredentials.bearer(token)).build();
    try {
      GRPCInferenceServiceGrpc.newBlockingStub(c).withDeadlineAfter(10, TimeUnit.SECONDS)
          .serverMetadata(ServerMetadataRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < giveUp) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  @Test
  void newCertificatesAndTokensTakeEffectWithoutARestart() throws Exception {
    DevCertificates.Written a = DevCertificates.write(first, List.of());
    DevCertificates.Written b = DevCertificates.write(second, List.of());
    copy(first, live);
    String conf = "braid.frontend.tls { cert-chain = \"" + live.resolve("server.pem") + "\", private-key = \""
        + live.resolve("server.key") + "\", client-ca = \"" + live.resolve("ca.pem") + "\", reload-interval = 200ms }\n"
        + "braid.frontend.auth.tokens-file = \"" + live.resolve("tokens") + "\"\n";
    try (SingleNode node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(1), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0), ConfigFactory.parseString(conf).withFallback(ConfigFactory.load()),
        "test")) {
      int port = node.grpcPort();
      assertEquals(Status.Code.OK, metadata(port, first, a.inferToken()));
      assertEquals(Status.Code.UNAVAILABLE, metadata(port, second, b.inferToken()));

      copy(second, live);
      assertTrue(eventually(() -> {
        try {
          return metadata(port, second, b.inferToken()) == Status.Code.OK;
        } catch (Exception e) {
          return false;
        }
      }), "the second set of certificates and tokens never took effect");
      // The old CA's clients are no longer trusted, and the old server certificate is gone.
      assertEquals(Status.Code.UNAVAILABLE, metadata(port, first, a.inferToken()));

      // A token revoked by deleting its line; a file that does not parse keeps the previous tokens.
      String extra = BearerTokens.newToken();
      Files.writeString(live.resolve("tokens"), TokenFile.line(extra, "t", Set.of(Role.INFER)) + "\n");
      assertTrue(eventually(() -> {
        try {
          return metadata(port, second, b.inferToken()) == Status.Code.UNAUTHENTICATED;
        } catch (Exception e) {
          return false;
        }
      }), "the revoked token is still accepted");
      assertEquals(Status.Code.OK, metadata(port, second, extra));
      Files.writeString(live.resolve("tokens"), "not a tokens file\n");
      Thread.sleep(1000);
      assertEquals(Status.Code.OK, metadata(port, second, extra));
    }
  }

  @Test
  void aBadFileFailsAtStartNamingIt() throws Exception {
    DevCertificates.write(first, List.of());
    // The client's key with the server's certificate.
    java.io.IOException e = assertThrows(java.io.IOException.class, () -> FrontDoorSecurity.start(
        new FrontDoorSecuritySettings(Optional.of(first.resolve("server.pem")), Optional.of(first.resolve("client.key")),
            Optional.empty(), Optional.empty(), java.time.Duration.ofSeconds(1))));
    assertTrue(e.getMessage().contains("client.key") && e.getMessage().contains("does not belong"), e.getMessage());
    e = assertThrows(java.io.IOException.class, () -> FrontDoorSecurity.start(new FrontDoorSecuritySettings(
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(first.resolve("missing")),
        java.time.Duration.ofSeconds(1))));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }
}
