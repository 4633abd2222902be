package dev.braid.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The shared small HTTP endpoint: its handler answers, HEAD gets headers only, close frees the port. */
class SmallHttpServerTest {
  private final HttpClient client = HttpClient.newHttpClient();

  private static SmallHttpServer echoPath() throws IOException {
    return SmallHttpServer.start(new InetSocketAddress("127.0.0.1", 0), Optional.empty(), "test-http", exchange -> {
      try (exchange) {
        SmallHttpServer.reply(exchange, 203, "text/plain; charset=utf-8",
            exchange.getRequestURI().getPath().getBytes(StandardCharsets.UTF_8));
      }
    });
  }

  private HttpResponse<String> send(int port, String method) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/some/path"))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void getAnswersTheHandlersStatusTypeAndBody() throws Exception {
    try (SmallHttpServer server = echoPath()) {
      HttpResponse<String> r = send(server.port(), "GET");
      assertEquals(203, r.statusCode());
      assertEquals("/some/path", r.body());
      assertEquals("text/plain; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
    }
  }

  @Test
  void headAnswersTheSameHeadersWithoutABody() throws Exception {
    try (SmallHttpServer server = echoPath()) {
      HttpResponse<String> r = send(server.port(), "HEAD");
      assertEquals(203, r.statusCode());
      assertEquals("", r.body());
      assertEquals("text/plain; charset=utf-8", r.headers().firstValue("Content-Type").orElseThrow());
    }
  }

  @Test
  void afterCloseNothingAnswersOnThePort() throws Exception {
    SmallHttpServer server = echoPath();
    int port = server.port();
    server.close();
    assertThrows(ConnectException.class, () -> send(port, "GET"));
  }
}
