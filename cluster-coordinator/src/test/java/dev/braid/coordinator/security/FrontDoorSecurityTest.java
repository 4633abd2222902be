package dev.braid.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.frontend.RequestParameters;
import dev.braid.coordinator.frontend.SingleNode;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.admin.DrainNodeRequest;
import dev.braid.protocol.admin.SetPolicyRequest;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelReadyRequest;
import dev.braid.protocol.grpc.ModelStreamInferResponse;
import dev.braid.protocol.grpc.RepositoryIndexRequest;
import dev.braid.protocol.grpc.RepositoryModelLoadRequest;
import dev.braid.protocol.grpc.RepositoryModelUnloadRequest;
import dev.braid.protocol.grpc.ServerLiveRequest;
import dev.braid.protocol.grpc.ServerMetadataRequest;
import dev.braid.protocol.grpc.ServerReadyRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door with mutual TLS and tokens on, as a client meets it: one node serving the zoo's
 * mlp over the CPU device with the files of {@code braid certs dev}; each RPC of the inference and
 * admin services is called without a token, with an unknown one, with a token lacking its role and
 * with one holding it. The quota tenant "stingy" (1 request per 100 s) shows whose quota a request
 * is charged to.
 */
class FrontDoorSecurityTest {
  @TempDir static Path repo;
  @TempDir static Path certs;
  @TempDir static Path otherCerts;
  static DevCertificates.Written dev;
  static String stingyToken;
  static SingleNode node;
  static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp"));
    dev = DevCertificates.write(certs, List.of());
    DevCertificates.write(otherCerts, List.of());
    stingyToken = BearerTokens.newToken();
    Files.writeString(certs.resolve("tokens"), TokenFile.line(stingyToken, "stingy", Set.of(Role.INFER)) + "\n",
        java.nio.file.StandardOpenOption.APPEND);
    String conf = "braid.frontend.admission.tenants.stingy { requests-per-second = 0.01, burst = 1 }\n"
        + "braid.frontend.tls.cert-chain = \"" + certs.resolve("server.pem") + "\"\n"
        + "braid.frontend.tls.private-key = \"" + certs.resolve("server.key") + "\"\n"
        + "braid.frontend.tls.client-ca = \"" + certs.resolve("ca.pem") + "\"\n"
        + "braid.frontend.auth.tokens-file = \"" + certs.resolve("tokens") + "\"\n";
    node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0), ConfigFactory.parseString(conf).withFallback(ConfigFactory.load()),
        "test");
  }

  @AfterAll
  static void stop() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (node != null) {
      node.close();
    }
  }

  /** A channel trusting {@code caDir}'s CA, presenting its client certificate when {@code mutual}. */
  static ManagedChannel channel(Path caDir, boolean mutual, Optional<String> token) throws Exception {
    ChannelCredentials creds = ClientCredentials.of(true, Optional.of(caDir.resolve("ca.pem")),
        mutual ? Optional.of(caDir.resolve("client.pem")) : Optional.empty(),
        mutual ? Optional.of(caDir.resolve("client.key")) : Optional.empty());
    ManagedChannelBuilder<?> b = Grpc.newChannelBuilderForAddress("localhost", node.grpcPort(), creds);
    token.ifPresent(t -> b.intercept(ClientCredentials.bearer(t)));
    ManagedChannel c = b.build();
    channels.add(c);
    return c;
  }

  static ManagedChannel with(String token) throws Exception {
    return channel(certs, true, Optional.of(token));
  }

  static ModelInferRequest.Builder request(float seed) {
    ByteBuffer b = ByteBuffer.allocate(784 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 784; i++) {
      b.putFloat(seed + i * 1e-3f);
    }
    return ModelInferRequest.newBuilder().setModelName("mlp").addInputs(ModelInferRequest.InferInputTensor
        .newBuilder().setName("input").setDatatype("FP32").addShape(1).addShape(784))
        .addRawInputContents(ByteString.copyFrom(b.array()));
  }

  static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub infer(ManagedChannel c) {
    return GRPCInferenceServiceGrpc.newBlockingStub(c).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  static BraidAdminGrpc.BraidAdminBlockingStub admin(ManagedChannel c) {
    return BraidAdminGrpc.newBlockingStub(c).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static Status.Code code(Function<ManagedChannel, ?> call, ManagedChannel c) {
    try {
      call.apply(c);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** Every RPC of both services with side-effect-free arguments, and the role it needs. */
  static Map<String, Map.Entry<Role, Function<ManagedChannel, ?>>> rpcs() {
    Map<String, Map.Entry<Role, Function<ManagedChannel, ?>>> m = new LinkedHashMap<>();
    m.put("ModelReady", Map.entry(Role.INFER, c -> infer(c).modelReady(ModelReadyRequest.newBuilder().setName("mlp")
        .build())));
    m.put("ServerMetadata", Map.entry(Role.INFER, c -> infer(c).serverMetadata(ServerMetadataRequest
        .getDefaultInstance())));
    m.put("ModelMetadata", Map.entry(Role.INFER, c -> infer(c).modelMetadata(ModelMetadataRequest.newBuilder()
        .setName("mlp").build())));
    m.put("ModelInfer", Map.entry(Role.INFER, c -> infer(c).modelInfer(request(0.5f).build())));
    m.put("ModelStreamInfer", Map.entry(Role.INFER, FrontDoorSecurityTest::streamOnce));
    m.put("RepositoryIndex", Map.entry(Role.REPOSITORY, c -> infer(c).repositoryIndex(RepositoryIndexRequest
        .getDefaultInstance())));
    // mlp serves already: a load of it changes nothing; unloading a model that is not there is refused later.
    m.put("RepositoryModelLoad", Map.entry(Role.REPOSITORY, c -> infer(c).repositoryModelLoad(
        RepositoryModelLoadRequest.newBuilder().setModelName("mlp").build())));
    m.put("RepositoryModelUnload", Map.entry(Role.REPOSITORY, c -> infer(c).repositoryModelUnload(
        RepositoryModelUnloadRequest.newBuilder().setModelName("no-such-model").build())));
    m.put("ClusterStatus", Map.entry(Role.ADMIN, c -> admin(c).clusterStatus(ClusterStatusRequest
        .getDefaultInstance())));
    m.put("SetPolicy", Map.entry(Role.ADMIN, c -> admin(c).setPolicy(SetPolicyRequest.getDefaultInstance())));
    m.put("DrainNode", Map.entry(Role.ADMIN, c -> admin(c).drainNode(DrainNodeRequest.newBuilder()
        .setNodeAddress("not-an-address").build())));
    return m;
  }

  /** One request on a ModelStreamInfer stream; a stream error is thrown as its status. */
  static ModelStreamInferResponse streamOnce(ManagedChannel c) {
    CompletableFuture<ModelStreamInferResponse> first = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> in = GRPCInferenceServiceGrpc.newStub(c).withDeadlineAfter(60, TimeUnit.SECONDS)
        .modelStreamInfer(new StreamObserver<>() {
          @Override
          public void onNext(ModelStreamInferResponse r) {
            first.complete(r);
          }

          @Override
          public void onError(Throwable t) {
            first.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            first.completeExceptionally(Status.INTERNAL.withDescription("no response").asRuntimeException());
          }
        });
    in.onNext(request(0.25f).build());
    in.onCompleted();
    try {
      return first.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (StatusRuntimeException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void everyRpcNeedsAValidTokenHoldingItsRole() throws Exception {
    ManagedChannel none = channel(certs, true, Optional.empty());
    ManagedChannel unknown = with(BearerTokens.newToken());
    // a metrics token (GET /metrics only) is refused every RPC
    Map<Role, ManagedChannel> byRole = Map.of(Role.INFER, with(dev.inferToken()),
        Role.REPOSITORY, with(dev.repositoryToken()), Role.ADMIN, with(dev.adminToken()),
        Role.METRICS, with(dev.metricsToken()));
    for (var rpc : rpcs().entrySet()) {
      String name = rpc.getKey();
      Role needed = rpc.getValue().getKey();
      Function<ManagedChannel, ?> call = rpc.getValue().getValue();
      for (ManagedChannel c : List.of(none, unknown)) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call.apply(c), name);
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), name);
        assertEquals(AuthInterceptor.UNAUTHENTICATED, e.getStatus().getDescription(), name);
      }
      for (Role r : Role.values()) {
        Status.Code got = code(call, byRole.get(r));
        boolean allowed = r == needed || (name.equals("RepositoryIndex") && r == Role.INFER);
        if (allowed) {
          assertNotEquals(Status.Code.UNAUTHENTICATED, got, name + " with " + r);
          assertNotEquals(Status.Code.PERMISSION_DENIED, got, name + " with " + r);
        } else {
          assertEquals(Status.Code.PERMISSION_DENIED, got, name + " with " + r);
        }
      }
    }
    // Allowed calls reach the service: the answers are the service's own.
    assertEquals(Status.Code.OK, code(rpcs().get("ModelInfer").getValue(), byRole.get(Role.INFER)));
    assertEquals(Status.Code.OK, code(rpcs().get("ClusterStatus").getValue(), byRole.get(Role.ADMIN)));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(rpcs().get("DrainNode").getValue(), byRole.get(Role.ADMIN)));
  }

  @Test
  void refusalsComeBeforeAnyModelWork() throws Exception {
    // An unknown model would be NOT_FOUND from the service: without a token the service never sees it.
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> infer(channel(certs, true,
        Optional.empty())).modelInfer(request(1).setModelName("no-such-model").build()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
  }

  @Test
  void healthStaysOpenWithoutToken() throws Exception {
    ManagedChannel none = channel(certs, true, Optional.empty());
    assertTrue(infer(none).serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    assertTrue(infer(none).serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
  }

  @Test
  void theHttpHealthPortSpeaksTlsAndAsksNoClientCertificate() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", Pem.certificates(certs.resolve("ca.pem")).get(0));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    HttpClient http = HttpClient.newBuilder().sslContext(ssl).build();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + node.httpPort()
        + "/v2/health/live")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("{\"live\":true}", r.body());
    HttpClient plain = HttpClient.newHttpClient();
    assertThrows(java.io.IOException.class, () -> plain.send(HttpRequest.newBuilder(URI.create("http://localhost:"
        + node.httpPort() + "/v2/health/live")).build(), HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void mutualTlsRefusesClientsWithoutATrustedCertificate() throws Exception {
    // No client certificate, a client certificate of another CA, plaintext, a server CA not trusted.
    ManagedChannel noCert = channel(certs, false, Optional.of(dev.inferToken()));
    ManagedChannel otherCa = channel(otherCerts, true, Optional.of(dev.inferToken()));
    ManagedChannel plaintext = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext().build();
    channels.add(plaintext);
    for (ManagedChannel c : List.of(noCert, otherCa, plaintext)) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> infer(c).withDeadlineAfter(10, TimeUnit.SECONDS).serverLive(ServerLiveRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    }
    // With the CA and the client certificate: served.
    assertTrue(infer(with(dev.inferToken())).serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
  }

  @Test
  void theTenantIsTheTokensAndAnotherTenantIsRefused() throws Exception {
    InferParameter stingy = InferParameter.newBuilder().setStringParam("stingy").build();
    InferParameter devTenant = InferParameter.newBuilder().setStringParam("dev").build();
    ManagedChannel devChannel = with(dev.inferToken());
    // A dev token claiming another tenant's quota: refused.
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> infer(devChannel).modelInfer(
        request(2).putParameters(RequestParameters.TENANT, stingy).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("braid.tenant"), e.getMessage());
    // Naming its own tenant, or none: served, and never charged to stingy's quota.
    for (int i = 0; i < 3; i++) {
      infer(devChannel).modelInfer(request(3 + i).putParameters(RequestParameters.TENANT, devTenant).build());
      infer(devChannel).modelInfer(request(3 + i).build());
    }
    // The stingy token, naming no tenant, is charged to stingy: its second request is over quota.
    ManagedChannel stingyChannel = with(stingyToken);
    infer(stingyChannel).modelInfer(request(7).build());
    e = assertThrows(StatusRuntimeException.class, () -> infer(stingyChannel).modelInfer(request(8).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("tenant 'stingy'"), e.getMessage());
    // A stream that claims another tenant is closed PERMISSION_DENIED.
    e = assertThrows(StatusRuntimeException.class, () -> {
      CompletableFuture<Void> done = new CompletableFuture<>();
      StreamObserver<ModelInferRequest> in = GRPCInferenceServiceGrpc.newStub(devChannel).modelStreamInfer(
          new StreamObserver<>() {
            @Override
            public void onNext(ModelStreamInferResponse r) {}

            @Override
            public void onError(Throwable t) {
              done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
              done.complete(null);
            }
          });
      in.onNext(request(9).putParameters(RequestParameters.TENANT, stingy).build());
      in.onCompleted();
      try {
        done.get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException x) {
        throw (StatusRuntimeException) x.getCause();
      }
    });
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
  }
}
