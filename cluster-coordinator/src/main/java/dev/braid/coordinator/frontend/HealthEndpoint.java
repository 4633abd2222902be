package dev.braid.coordinator.frontend;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;

/**
 * KServe's REST health checks on the JDK's HTTP server, small enough that load balancers and
 * Kubernetes probes need nothing else: {@code GET /v2/health/live} and {@code GET
 * /v2/health/ready} answer 200 with {@code {"live":true}} / {@code {"ready":true}}, or 503 with
 * false while not ready; any other path is 404. One thread: each answer is a few bytes.
 */
public final class HealthEndpoint implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  private HealthEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Binds {@code host:port} (0 for any free port) and starts answering. */
  public static HealthEndpoint start(String host, int port, BooleanSupplier ready) throws IOException {
    return start(host, port, ready, Optional.empty());
  }

  /** As {@link #start(String, int, BooleanSupplier)}, over HTTPS with {@code tls} when given. */
  public static HealthEndpoint start(String host, int port, BooleanSupplier ready, Optional<SSLContext> tls)
      throws IOException {
    HttpServer server = tls.isEmpty() ? HttpServer.create(new InetSocketAddress(host, port), 16)
        : httpsServer(new InetSocketAddress(host, port), tls.get());
    server.createContext("/", exchange -> {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
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
    });
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "braid-health-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.start();
    return new HealthEndpoint(server, executor);
  }

  private static HttpServer httpsServer(InetSocketAddress address, SSLContext tls) throws IOException {
    HttpsServer https = HttpsServer.create(address, 16);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    return https;
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private static void send(HttpExchange exchange, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }
}
