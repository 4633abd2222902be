package dev.braid.coordinator.frontend;

import dev.braid.coordinator.frontend.internal.DeflateCodec;
import dev.braid.coordinator.frontend.internal.GrpcJavaBinding;
import dev.braid.coordinator.frontend.limits.ParseFailures;
import dev.braid.coordinator.frontend.limits.InputLimits;
import dev.braid.coordinator.security.FrontDoorSecurity;
import dev.braid.coordinator.security.FrontDoorSecuritySettings;
import io.grpc.BindableService;
import io.grpc.DecompressorRegistry;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The front door's servers: {@link InferenceService} over grpc-java's Netty server (on
 * {@code braid.frontend.grpc-port}, 8001 by default, Triton's) and {@link HealthEndpoint} (on
 * {@code http-port}, 8000). grpc-java rather than Pekko gRPC: on this project's 2-core machine a
 * bare grpc-java server answered about 3x the calls of Pekko HTTP's HTTP/2 server (issue 5);
 * the service does not depend on the transport, and {@code bench frontdoor} is to confirm the
 * choice. Requests over {@code max-inbound-message-bytes} are refused RESOURCE_EXHAUSTED by the
 * server before they are parsed, and so are compressed ones whose inflated size is over it (grpc-java
 * counts the decompressed bytes as it inflates and stops at the limit; {@link ParseFailures}
 * answers it RESOURCE_EXHAUSTED, and bytes that do not parse INVALID_ARGUMENT, rather than
 * grpc-java's UNKNOWN). The connection bounds of
 * {@code braid.frontend.limits} ({@link InputLimits}) apply to every call. Other services (Braid's admin service) may share the gRPC port:
 * they are served beside the Open Inference Protocol, under the same message limit.
 *
 * <p>Lifecycle: started -> closed ({@link #close()}: stops taking calls, waits briefly for those
 * in flight, then stops the health endpoint).
 */
public final class FrontDoorServer implements AutoCloseable {
  private final Server grpc;
  private final HealthEndpoint health;
  private final FrontDoorSecurity security;

  private FrontDoorServer(Server grpc, HealthEndpoint health, FrontDoorSecurity security) {
    this.grpc = grpc;
    this.health = health;
    this.security = security;
  }

  /** Binds both ports and starts serving {@code service}. */
  public static FrontDoorServer start(InferenceService service, FrontendSettings settings) throws IOException {
    return start(service, settings, List.of());
  }

  /**
   * Binds both ports and starts serving {@code service}, and on the same gRPC port each of
   * {@code alongside} (the admin service, {@link dev.braid.coordinator.admin.AdminService}).
   */
  public static FrontDoorServer start(InferenceService service, FrontendSettings settings,
      List<? extends BindableService> alongside) throws IOException {
    return start(service, settings, alongside, FrontDoorSecuritySettings.OFF);
  }

  /**
   * As {@link #start(InferenceService, FrontendSettings, List)}, with TLS on both ports and bearer
   * tokens on every gRPC service as {@code security} says (issue 15; see
   * {@link FrontDoorSecurity}).
   */
  public static FrontDoorServer start(InferenceService service, FrontendSettings settings,
      List<? extends BindableService> alongside, FrontDoorSecuritySettings securitySettings) throws IOException {
    FrontDoorSecurity security = FrontDoorSecurity.start(securitySettings);
    InputLimits limits = settings.limits();
    NettyServerBuilder builder = security.serverBuilder(new InetSocketAddress(settings.host(), settings.grpcPort()))
        .maxInboundMessageSize(settings.maxInboundMessageBytes())
        // gzip and, as Triton's server, deflate (advertised in grpc-accept-encoding).
        .decompressorRegistry(DecompressorRegistry.getDefaultInstance().with(DeflateCodec.INSTANCE, true))
        // Hostile clients (issue 15): bounded streams per connection, header size, ping rate, idle
        // connections; the message limit applies after decompression (a gzip bomb is refused).
        .maxConcurrentCallsPerConnection(limits.maxConcurrentCallsPerConnection())
        .maxInboundMetadataSize(limits.maxHeaderBytes())
        .permitKeepAliveTime(limits.permitKeepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
        .permitKeepAliveWithoutCalls(false)
        .maxConnectionIdle(limits.maxConnectionIdle().toNanos(), TimeUnit.NANOSECONDS)
        .addService(ParseFailures.apply(security.intercept(new GrpcJavaBinding(service,
            limits.maxStreamInFlight()))));
    alongside.forEach(s -> builder.addService(ParseFailures.apply(security.intercept(s))));
    Server grpc;
    try {
      grpc = builder.build().start();
    } catch (IOException | RuntimeException e) {
      security.close();
      throw e;
    }
    try {
      return new FrontDoorServer(grpc, HealthEndpoint.start(settings.host(), settings.httpPort(), service::isReady,
          security.https()), security);
    } catch (IOException | RuntimeException e) {
      grpc.shutdownNow();
      security.close();
      throw e;
    }
  }

  /** The bound gRPC port. */
  public int grpcPort() {
    return grpc.getPort();
  }

  /** Re-reads changed certificate and token files now, rather than at the next reload interval. */
  public void reloadSecurityNow() {
    security.reloadNow();
  }

  /** The bound HTTP port. */
  public int httpPort() {
    return health.port();
  }

  @Override
  public void close() {
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      grpc.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      health.close();
      security.close();
    }
  }
}
