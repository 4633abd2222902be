package dev.braid.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing on the front door's gRPC port escapes the token check: every RPC of both services has
 * roles decided on purpose (an RPC added to a proto without a decision fails here), and a server
 * from {@link FrontDoorSecurity#serverBuilder} asks for a token on services that never passed
 * through {@link FrontDoorSecurity#intercept}, including one the role table has never heard of
 * (admin only).
 */
class AuthCoverageTest {
  static final String EXTRA = "test.Extra/Do";
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  @TempDir Path dir;

  @Test
  void everyRpcOfTheInferenceAndAdminServicesHasItsRolesDecided() {
    Set<String> open = new TreeSet<>();
    for (ServiceDescriptor service : List.of(GRPCInferenceServiceGrpc.getServiceDescriptor(),
        BraidAdminGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        assertTrue(MethodRoles.classified(m.getFullMethodName()), m.getFullMethodName() + " is not in MethodRoles: "
            + "decide which roles may call it");
        assertFalse(MethodRoles.required(m.getFullMethodName()).contains(Role.METRICS),
            "a scraper's token runs nothing on the gRPC port: " + m.getFullMethodName());
        if (MethodRoles.required(m.getFullMethodName()).isEmpty()) {
          open.add(m.getBareMethodName());
        }
      }
    }
    assertEquals(Set.of("ServerLive", "ServerReady"), open, "only the health checks are open");
    for (MethodDescriptor<?, ?> m : BraidAdminGrpc.getServiceDescriptor().getMethods()) {
      assertEquals(Set.of(Role.ADMIN), MethodRoles.required(m.getFullMethodName()), m.getFullMethodName());
    }
    assertEquals(Set.of(Role.ADMIN), MethodRoles.required(EXTRA), "an RPC nobody listed is admin only");
  }

  @Test
  void servicesAddedWithoutInterceptionStillNeedATokenAndAnUnlistedRpcNeedsAdmin() throws Exception {
    String infer = BearerTokens.newToken();
    String admin = BearerTokens.newToken();
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, TokenFile.line(infer, "t", Set.of(Role.INFER, Role.REPOSITORY)) + "\n"
        + TokenFile.line(admin, "ops", Set.of(Role.ADMIN)) + "\n");
    MethodDescriptor<byte[], byte[]> extra = unary(EXTRA);
    ServerServiceDefinition extraService = ServerServiceDefinition.builder("test.Extra")
        .addMethod(extra, ServerCalls.asyncUnaryCall((req, out) -> {
          out.onNext(new byte[] {42});
          out.onCompleted();
        })).build();
    FrontDoorSecuritySettings settings = new FrontDoorSecuritySettings(Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.of(tokens), Duration.ofSeconds(10));
    try (FrontDoorSecurity security = FrontDoorSecurity.start(settings)) {
      // The generated bases answer UNIMPLEMENTED: a call that gets that far passed the token check.
      Server server = security.serverBuilder(new InetSocketAddress("127.0.0.1", 0))
          .addService(new GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase() {})
          .addService(new BraidAdminGrpc.BraidAdminImplBase() {})
          .addService(extraService)
          .build().start();
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
      try {
        List<String> methods = server.getServices().stream().flatMap(s -> s.getMethods().stream())
            .map(ServerMethodDefinition::getMethodDescriptor).map(MethodDescriptor::getFullMethodName).toList();
        assertEquals(GRPCInferenceServiceGrpc.getServiceDescriptor().getMethods().size()
            + BraidAdminGrpc.getServiceDescriptor().getMethods().size() + 1, methods.size(), "every RPC: " + methods);
        for (String method : methods) {
          Status.Code expected = MethodRoles.required(method).isEmpty() ? Status.Code.UNIMPLEMENTED
              : Status.Code.UNAUTHENTICATED;
          assertEquals(expected, call(channel, method, Optional.empty()), method + " without a token");
          assertEquals(expected, call(channel, method, Optional.of(BearerTokens.newToken())),
              method + " with an unknown token");
        }
        assertEquals(Status.Code.PERMISSION_DENIED, call(channel, EXTRA, Optional.of(infer)),
            "an infer and repository token on an unlisted RPC");
        assertEquals(Status.Code.OK, call(channel, EXTRA, Optional.of(admin)), "the admin token");
        assertEquals(Status.Code.PERMISSION_DENIED, call(channel,
            BraidAdminGrpc.getDrainNodeMethod().getFullMethodName(), Optional.of(infer)));
        assertEquals(Status.Code.UNIMPLEMENTED, call(channel,
            GRPCInferenceServiceGrpc.getModelMetadataMethod().getFullMethodName(), Optional.of(infer)),
            "a token with the role passes");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  static MethodDescriptor<byte[], byte[]> unary(String fullMethodName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName).setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
  }

  /** One call of {@code method} with an empty message (every request message parses from it). */
  static Status.Code call(ManagedChannel channel, String method, Optional<String> token) {
    io.grpc.Channel c = token.map(t -> io.grpc.ClientInterceptors.intercept(channel, ClientCredentials.bearer(t)))
        .orElse(channel);
    try {
      ClientCalls.blockingUnaryCall(c, unary(method), CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          new byte[0]);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }
}
