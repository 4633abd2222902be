package dev.braid.coordinator.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * A node's small HTTP endpoints (health probes, the metrics scrape) on the JDK's own HTTP server,
 * over HTTPS when given a TLS context, answered on one daemon thread: a probe or a scrape every
 * few seconds needs no more, and it stays off the gRPC and actor threads. The caller's handler
 * answers every path; this owns the server and its thread.
 *
 * <p>Lifecycle: bound and serving from {@link #start} until {@link #close}, which stops both.
 */
public final class SmallHttpServer implements AutoCloseable {
  /** Connections the server's socket queues before accepting: far more than probes and scrapes need. */
  private static final int BACKLOG = 16;

  private final HttpServer server;
  private final ExecutorService executor;

  private SmallHttpServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code address} (port 0: any free port), over HTTPS with {@code tls} when given, and
   * answers every request with {@code handler} on one daemon thread named {@code threadName}.
   *
   * @throws IOException when the address cannot be bound
   */
  public static SmallHttpServer start(InetSocketAddress address, Optional<SSLContext> tls, String threadName,
      HttpHandler handler) throws IOException {
    HttpServer server;
    if (tls.isPresent()) {
      HttpsServer https = HttpsServer.create(address, BACKLOG);
      https.setHttpsConfigurator(new HttpsConfigurator(tls.get()));
      server = https;
    } else {
      server = HttpServer.create(address, BACKLOG);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", handler);
    server.start();
    return new SmallHttpServer(server, executor);
  }

  /** The port bound (the free one picked when asked for 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  /**
   * Answers {@code exchange} with {@code status} and {@code body} of {@code contentType}; to a
   * {@code HEAD} request, the same headers without the body.
   */
  public static void reply(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
