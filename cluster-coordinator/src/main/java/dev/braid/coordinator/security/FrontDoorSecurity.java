package dev.braid.coordinator.security;

import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * What the front door's servers need of {@link FrontDoorSecuritySettings}: the gRPC server's
 * transport credentials (TLS from {@link ReloadingTls}, client certificates required when a client
 * CA is set), the HTTP server's TLS context, and the {@link AuthInterceptor} every service is
 * wrapped in when tokens are on. A daemon thread re-reads the files every reload interval.
 *
 * <p>Lifecycle: {@link #start} (files read, fails naming a bad one) -> serving -> {@link #close()}
 * (the reload thread stops).
 */
public final class FrontDoorSecurity implements AutoCloseable {
  private final Optional<ReloadingTls> tls;
  private final Optional<TokenRegistry> tokens;
  private final Optional<ScheduledExecutorService> reloader;

  private FrontDoorSecurity(Optional<ReloadingTls> tls, Optional<TokenRegistry> tokens,
      Optional<ScheduledExecutorService> reloader) {
    this.tls = tls;
    this.tokens = tokens;
    this.reloader = reloader;
  }

  /** Reads the files the settings name and starts watching them. */
  public static FrontDoorSecurity start(FrontDoorSecuritySettings settings) throws IOException {
    Optional<ReloadingTls> tls = settings.tls()
        ? Optional.of(ReloadingTls.open(settings.certChain().get(), settings.privateKey().get(), settings.clientCa()))
        : Optional.empty();
    Optional<TokenRegistry> tokens = settings.tokens()
        ? Optional.of(TokenRegistry.open(settings.tokensFile().get())) : Optional.empty();
    Optional<ScheduledExecutorService> reloader = Optional.empty();
    if (tls.isPresent() || tokens.isPresent()) {
      ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "braid-security-reload");
        t.setDaemon(true);
        return t;
      });
      long ms = settings.reloadInterval().toMillis();
      s.scheduleWithFixedDelay(() -> {
        tls.ifPresent(ReloadingTls::reloadIfChanged);
        tokens.ifPresent(TokenRegistry::reloadIfChanged);
      }, ms, ms, TimeUnit.MILLISECONDS);
      reloader = Optional.of(s);
    }
    return new FrontDoorSecurity(tls, tokens, reloader);
  }

  /**
   * The metrics port's security: its TLS files and tokens as {@code access} says, read and
   * reloaded the same way (no client certificates: scrapers present tokens).
   */
  public static FrontDoorSecurity forMetrics(MetricsAccessSettings access) throws IOException {
    return start(access.portSettings());
  }

  /** Plaintext, no tokens. */
  public static FrontDoorSecurity off() {
    return new FrontDoorSecurity(Optional.empty(), Optional.empty(), Optional.empty());
  }

  /**
   * A gRPC server builder bound to {@code address}, with TLS when it is on, and with tokens on the
   * {@link AuthInterceptor} as a server-wide interceptor: it runs first on every call of every
   * service the server is given, so a service added later (by {@code alongside}, or by anyone who
   * calls {@code addService} on this builder) cannot be reached without a token; a method
   * {@link MethodRoles} does not list needs the admin role.
   */
  public NettyServerBuilder serverBuilder(InetSocketAddress address) {
    NettyServerBuilder b = NettyServerBuilder.forAddress(address, credentials());
    tokens.ifPresent(t -> b.intercept(new AuthInterceptor(t)));
    return b;
  }

  private ServerCredentials credentials() {
    if (tls.isEmpty()) {
      return InsecureServerCredentials.create();
    }
    ReloadingTls t = tls.get();
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(t.keyManager());
    t.trustManager().ifPresent(tm -> b.trustManager(tm).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE));
    return b.build();
  }

  /**
   * {@code service} behind the {@link ModelNameGuard}. The token check is not here but on the
   * server ({@link #serverBuilder}), so it runs before the guard (an unauthenticated caller learns
   * nothing about names) and on services that never pass through this method.
   */
  public ServerServiceDefinition intercept(BindableService service) {
    return ServerInterceptors.intercept(service, new ModelNameGuard());
  }

  /**
   * The HTTP server's TLS context when TLS is on. It asks for no client certificate even with
   * mutual TLS: the HTTP port serves the health checks, which stay open to probes.
   */
  public Optional<SSLContext> https() {
    return tls.map(ReloadingTls::sslContext);
  }

  /** The bearer-token check of an HTTP endpoint; empty when tokens are off (the endpoint is open). */
  public Optional<HttpBearerAuth> httpAuth() {
    return tokens.map(HttpBearerAuth::new);
  }

  /** Re-reads changed files now rather than at the next interval (tests, and a SIGHUP one day). */
  public void reloadNow() {
    tls.ifPresent(ReloadingTls::reloadIfChanged);
    tokens.ifPresent(TokenRegistry::reloadIfChanged);
  }

  @Override
  public void close() {
    reloader.ifPresent(ScheduledExecutorService::shutdownNow);
  }
}
