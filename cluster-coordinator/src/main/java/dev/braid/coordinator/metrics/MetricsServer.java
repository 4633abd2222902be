package dev.braid.coordinator.metrics;

import static dev.braid.coordinator.http.SmallHttpServer.reply;

import com.sun.net.httpserver.HttpExchange;
import dev.braid.coordinator.http.SmallHttpServer;
import dev.braid.coordinator.security.FrontDoorSecurity;
import dev.braid.coordinator.security.HttpBearerAuth;
import dev.braid.coordinator.security.MetricsAccessSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} of one node over HTTP/1.1, in Prometheus's text format (0.0.4), on a {@link
 * SmallHttpServer} (the JDK's own HTTP server with one thread: a scrape every few seconds needs no
 * more, and it stays off the gRPC and actor threads). Any other path is 404, any other method 405.
 * With {@link MetricsAccessSettings} (issue 15) it asks for a bearer token before anything else
 * (401 or 403, whatever the path) and speaks HTTPS.
 *
 * <p>Lifecycle: bound and serving from {@link #start} until {@link #close} (which also stops
 * re-reading the certificate and tokens files).
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final SmallHttpServer server;
  private final FrontDoorSecurity security;

  private MetricsServer(SmallHttpServer server, FrontDoorSecurity security) {
    this.server = server;
    this.security = security;
  }

  /** Binds {@code settings.host():settings.port()} (0: any free port) and serves {@code metrics}, open. */
  public static MetricsServer start(NodeMetrics metrics, MetricsSettings settings) throws IOException {
    return start(metrics, settings, MetricsAccessSettings.OPEN);
  }

  /** As {@link #start(NodeMetrics, MetricsSettings)}, with the tokens and TLS {@code access} asks for. */
  public static MetricsServer start(NodeMetrics metrics, MetricsSettings settings, MetricsAccessSettings access)
      throws IOException {
    if (!settings.enabled()) {
      throw new IllegalArgumentException(MetricsSettings.PORT_KEY + " is -1 (off): there is nothing to serve");
    }
    FrontDoorSecurity security = FrontDoorSecurity.forMetrics(access);
    Optional<HttpBearerAuth> auth = security.httpAuth();
    try {
      return new MetricsServer(SmallHttpServer.start(new InetSocketAddress(settings.host(), settings.port()),
          security.https(), "braid-metrics-http", exchange -> handle(exchange, metrics, auth)), security);
    } catch (IOException e) {
      security.close();
      throw new IOException("cannot serve metrics on " + settings.host() + ":" + settings.port() + " ("
          + MetricsSettings.PORT_KEY + ", --metrics-port; 0 for any free port, -1 for off): " + e.getMessage(), e);
    }
  }

  private static void handle(HttpExchange exchange, NodeMetrics metrics, Optional<HttpBearerAuth> auth)
      throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      Optional<HttpBearerAuth.Refusal> refusal = auth.flatMap(a -> a.check(
          exchange.getRequestHeaders().getFirst("Authorization"), MetricsAccessSettings.SCRAPE_ROLES, "GET /metrics"));
      if (refusal.isPresent()) {
        exchange.getResponseHeaders().set("WWW-Authenticate", refusal.get().challenge());
        reply(exchange, refusal.get().status(), "text/plain; charset=utf-8",
            refusal.get().message().getBytes(StandardCharsets.UTF_8));
      } else if (!path.equals("/metrics")) {
        reply(exchange, 404, "text/plain; charset=utf-8", ("not found: " + path + " (metrics are at /metrics)\n")
            .getBytes(StandardCharsets.UTF_8));
      } else if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseHeaders().add("Allow", "GET, HEAD");
        reply(exchange, 405, "text/plain; charset=utf-8", "method not allowed: use GET\n"
            .getBytes(StandardCharsets.UTF_8));
      } else {
        byte[] body;
        try {
          body = metrics.scrape();
        } catch (RuntimeException e) {
          LOG.warn("a metrics scrape failed", e);
          reply(exchange, 500, "text/plain; charset=utf-8", ("scrape failed: " + e + "\n")
              .getBytes(StandardCharsets.UTF_8));
          return;
        }
        if (exchange.getRequestMethod().equals("HEAD")) {
          exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
          exchange.sendResponseHeaders(200, -1);
        } else {
          reply(exchange, 200, CONTENT_TYPE, body);
        }
      }
    }
  }

  /** The port bound (the free one picked when the settings said 0). */
  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
    security.close();
  }
}
