package dev.braid.bench.frontdoor;

import dev.braid.coordinator.frontend.FrontDoorServer;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.frontend.InferenceService;
import dev.braid.coordinator.security.ClientCredentials;
import dev.braid.coordinator.security.DevCertificates;
import dev.braid.coordinator.security.FrontDoorSecuritySettings;
import dev.braid.protocol.grpc.ModelInferRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code bench frontdoor --tls}: a second gRPC server in front of the same {@link InferenceService}
 * (same node, device and batcher), over TLS with throwaway certificates from
 * {@link DevCertificates}, and a {@link LoadClient} that trusts them, so the plaintext and the TLS
 * front door differ in the transport only.
 */
final class TlsFrontDoor implements AutoCloseable {
  static final String NAME = "frontdoor-tls";

  private final Path certs;
  private final FrontDoorServer server;
  private final LoadClient client;

  private TlsFrontDoor(Path certs, FrontDoorServer server, LoadClient client) {
    this.certs = certs;
    this.server = server;
    this.client = client;
  }

  static TlsFrontDoor start(InferenceService service, FrontendSettings frontend, ModelInferRequest request)
      throws IOException {
    Path certs = Files.createTempDirectory("braid-frontdoor-tls-");
    DevCertificates.write(certs, List.of());
    FrontDoorSecuritySettings tls = new FrontDoorSecuritySettings(Optional.of(certs.resolve("server.pem")),
        Optional.of(certs.resolve("server.key")), Optional.empty(), Optional.empty(), Duration.ofSeconds(10));
    FrontDoorServer server = FrontDoorServer.start(service, frontend.withPorts(0, 0), List.of(), tls);
    LoadClient client = new LoadClient(NAME, "localhost", server.grpcPort(), request,
        ClientCredentials.of(true, Optional.of(certs.resolve("ca.pem")), Optional.empty(), Optional.empty()));
    return new TlsFrontDoor(certs, server, client);
  }

  LoadClient client() {
    return client;
  }

  @Override
  public void close() throws Exception {
    try {
      client.close();
      server.close();
    } finally {
      try (Stream<Path> paths = Files.walk(certs)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
