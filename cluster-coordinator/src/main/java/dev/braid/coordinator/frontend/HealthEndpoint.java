package dev.braid.coordinator.frontend;

import com.sun.net.httpserver.HttpExchange;
import dev.braid.coordinator.http.SmallHttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;

/**
 * KServe's REST health checks on the JDK's HTTP server, small enough that load balancers and
 * Kubernetes probes need nothing else: {@code GET /v2/health/live} and {@code GET
 * /v2/health/ready} answer 200 with {@code {"live":true}} / {@code {"ready":true}}, or 503 with
 * false while not ready; any other path is 404. On a {@link SmallHttpServer}: each answer is a
 * few bytes.
 */
public final class HealthEndpoint implements AutoCloseable {
  private final SmallHttpServer server;

  private HealthEndpoint(SmallHttpServer server) {
    this.server = server;
  }

  /** Binds {@code host:port} (0 for any free port) and starts answering. */
  public static HealthEndpoint start(String host, int port, BooleanSupplier ready) throws IOException {
    return start(host, port, ready, Optional.empty());
  }

  /** As {@link #start(String, int, BooleanSupplier)}, over HTTPS with {@code tls} when given. */
  public static HealthEndpoint start(String host, int port, BooleanSupplier ready, Optional<SSLContext> tls)
      throws IOException {
    return new HealthEndpoint(SmallHttpServer.start(new InetSocketAddress(host, port), tls, "braid-health-http",
        exchange -> handle(exchange, ready)));
  }

  private static void handle(HttpExchange exchange, BooleanSupplier ready) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD"); // a 405 must say what is allowed (RFC 9110)
        send(exchange, 405, "{\"error\":\"expected GET\"}");
      } else if (path.equals("/v2/health/live")) {
        send(exchange, 200, "{\"live\":true}");
      } else if (path.equals("/v2/health/ready")) {
        boolean ok = ready.getAsBoolean();
        send(exchange, ok ? 200 : 503, "{\"ready\":" + ok + "}");
      } else {
        send(exchange, 404, "{\"error\":\"not found: " + path.replace("\"", "") + "\"}");
      }
    }
  }

  /** The bound port. */
  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
  }

  private static void send(HttpExchange exchange, int code, String body) throws IOException {
    SmallHttpServer.reply(exchange, code, "application/json", body.getBytes(StandardCharsets.UTF_8));
  }
}
