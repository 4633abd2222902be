package dev.braid.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code braid serve} and {@code braid infer} through the CLI classes, in-process, on ephemeral ports. */
class ServeInferCliTest {
  @TempDir Path zoo;

  record Result(int code, String out, String err) {}

  static Result braid(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void serveThenInferPrintsShapesTopFiveAndLatencyThenDrainsOnStop() throws Exception {
    assertEquals(0, braid("models", "generate", "--out", zoo.toString(), "--models", "mlp").code());
    StringWriter serveOut = new StringWriter();
    StringWriter serveErr = new StringWriter();
    CompletableFuture<Integer> serve = CompletableFuture.supplyAsync(() -> BraidCli.execute(
        new String[] {"serve", "--repo", zoo.toString(), "--device", "cpu", "--grpc-port", "0", "--http-port", "0",
            "--metrics-port", "0", "--policy", "fifo"},
        new PrintWriter(serveOut, true), new PrintWriter(serveErr, true)));
    try {
      Pattern serving = Pattern.compile("serving gRPC on :(\\d+), HTTP on :(\\d+)");
      Matcher m = serving.matcher("");
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!(m = serving.matcher(serveOut.toString())).find()) {
        assertTrue(System.nanoTime() < until && !serve.isDone(), "serve did not start: " + serveOut + serveErr);
        Thread.sleep(50);
      }
      assertTrue(serveOut.toString().contains("model mlp version 1 loaded"), serveOut.toString());
      String port = m.group(1);

      Result r = braid("infer", "--model", "mlp", "--port", port, "--batch", "2", "--seed", "3");
      assertEquals(0, r.code(), r.err());
      assertTrue(r.out().contains("input  input        FP32 [2, 784]"), r.out());
      assertTrue(r.out().contains("output logits       FP32 [2, 10]"), r.out());
      String top = r.out().lines().filter(l -> l.contains("top-5 of batch item 0:")).findFirst().orElseThrow();
      assertEquals(5, top.split("=").length - 1, top);
      assertTrue(r.out().contains("latency: "), r.out());
      // Seeded: the same request gives the same answer.
      Result again = braid("infer", "--model", "mlp", "--port", port, "--batch", "2", "--seed", "3");
      assertEquals(top, again.out().lines().filter(l -> l.contains("top-5")).findFirst().orElseThrow());

      Result unknown = braid("infer", "--model", "nope", "--port", port);
      assertEquals(1, unknown.code());
      assertTrue(unknown.err().contains("NOT_FOUND") && unknown.err().contains("'nope'"), unknown.err());

      // The node's Prometheus metrics count the two infer calls (issue 14's acceptance: serve, infer, curl).
      Matcher metrics = Pattern.compile("metrics on :(\\d+)/metrics").matcher(serveOut.toString());
      assertTrue(metrics.find(), serveOut.toString());
      String scrape = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + metrics.group(1) + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(scrape.contains("nv_inference_request_success{model=\"mlp\",version=\"1\"} 2\n"), scrape);
      assertTrue(scrape.contains("braid_request_duration_seconds_bucket{model=\"mlp\",le=\"+Inf\"} 2\n"), scrape);
    } finally {
      ServeCommand.stopAll();
    }
    assertEquals(0, serve.get(60, TimeUnit.SECONDS), serveErr.toString());
    assertTrue(serveOut.toString().contains("stopped"), serveOut.toString());
  }

  @Test
  void inferWithoutAServerSaysItCannotReachIt() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Result r = braid("infer", "--model", "mlp", "--port", String.valueOf(port), "--timeout-ms", "5000");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("cannot reach braid at localhost:" + port + ": UNAVAILABLE"), r.err());
  }

  @Test
  void badFlagsAreUsageErrors() {
    Result r = braid("serve", "--policy", "fastest", "--repo", zoo.toString());
    assertEquals(BraidCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--policy") && r.err().contains("'fastest'"), r.err());
    r = braid("infer", "--model", "mlp", "--batch", "0");
    assertEquals(BraidCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("--batch"), r.err());
  }
}
