package dev.braid.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.frontend.SingleNode;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Braid scraped by a real Prometheus (Debian's {@code prometheus}, installed by {@code .ci/run}):
 * an in-process single node serves the zoo's mlp on the CPU device with /metrics on a free port;
 * Prometheus runs on another loopback port scraping it every second; the test sends good and bad
 * requests, then asks Prometheus's HTTP API for the counters (which must equal what was sent) and
 * for a p99 by {@code histogram_quantile}, which must equal the quantile this test computes from
 * the same buckets by Prometheus's rule (linear interpolation inside the bucket holding the rank)
 * and lie within the bucket of the slowest latency the client saw. Skipped, with one line, where
 * {@code /usr/bin/prometheus} is not installed.
 */
class PrometheusScrapeTest {
  static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  static final int GOOD = 40;
  static final int BAD = 3;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void prometheusScrapesTheCountersAndComputesTheP99FromBraidsBuckets() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PROMETHEUS), "skipped: " + PROMETHEUS + " is not installed "
        + "(apt-get install prometheus; .ci/run installs it)");
    Path repo = dir.resolve("repo");
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp"));
    FrontendSettings settings = FrontendSettings.load().withPorts(0, 0);
    try (SingleNode node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(),
        settings, ConfigFactory.load(), "test")) {
      assertTrue(node.metricsPort() > 0, "SingleNode serves metrics on a free port by default");
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcPort()).usePlaintext().build();
      double slowestSeconds = 0;
      try {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc
            .newBlockingStub(channel);
        for (int i = 0; i < GOOD; i++) {
          long t0 = System.nanoTime();
          stub.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(request(784));
          slowestSeconds = Math.max(slowestSeconds, (System.nanoTime() - t0) / 1e9);
        }
        for (int i = 0; i < BAD; i++) {
          try {
            stub.withDeadlineAfter(60, TimeUnit.SECONDS).modelInfer(request(5)); // 5 values for 784
            throw new AssertionError("a request with 5 values for 784 was answered");
          } catch (StatusRuntimeException expected) {
            assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, expected.getStatus().getCode());
          }
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      int promPort = freePort();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
          + "  - job_name: braid\n    static_configs:\n      - targets: ['127.0.0.1:" + node.metricsPort() + "']\n");
      Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + config,
          "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort)
          .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
      try {
        String api = "http://127.0.0.1:" + promPort;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String success = "nv_inference_request_success{job=\"braid\",model=\"mlp\",version=\"1\"}";
        double seen = awaitValue(http, api, success, GOOD, dir.resolve("prometheus.log"));
        assertEquals(GOOD, seen, success);
        assertEquals(BAD, query(http, api,
            "nv_inference_request_failure{model=\"mlp\",reason=\"INVALID_ARGUMENT\"}").orElseThrow());
        assertEquals(GOOD, query(http, api, "nv_inference_count{model=\"mlp\"}").orElseThrow(), "rows executed");
        double execs = query(http, api, "nv_inference_exec_count{model=\"mlp\"}").orElseThrow();
        assertTrue(execs >= 1 && execs <= GOOD, "batches: " + execs);
        assertEquals(GOOD, query(http, api, "braid_goodput_requests_total{model=\"mlp\"}").orElseThrow());
        assertEquals(GOOD, query(http, api, "braid_frontend_admissions_total{model=\"mlp\"}").orElseThrow());
        assertEquals(GOOD, query(http, api, "braid_request_duration_seconds_count{model=\"mlp\"}").orElseThrow());
        assertTrue(query(http, api, "nv_inference_compute_infer_duration_us{model=\"mlp\"}").orElseThrow() > 0);
        assertTrue(query(http, api, "sum(braid_cluster_members{status=\"up\"})").orElseThrow() >= 3,
            "one member with three roles");
        assertTrue(query(http, api, "jvm_memory_used_bytes{area=\"heap\"}").orElseThrow() > 0);

        // p99 by Prometheus, and by hand from the same buckets
        String quantile = "histogram_quantile(0.99, sum by (le) (braid_request_duration_seconds_bucket{model=\"mlp\"}))";
        double p99 = query(http, api, quantile).orElseThrow();
        TreeMap<Double, Double> buckets = new TreeMap<>();
        for (JsonNode r : result(http, api, "braid_request_duration_seconds_bucket{model=\"mlp\"}")) {
          String le = r.get("metric").get("le").asText();
          buckets.put(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le),
              r.get("value").get(1).asDouble());
        }
        double expected = quantile(0.99, buckets);
        assertEquals(expected, p99, 1e-9, "Prometheus's p99 against the buckets' own: " + buckets);
        double upper = buckets.ceilingKey(slowestSeconds);
        assertTrue(p99 > 0 && p99 <= upper, "p99 " + p99 + " s outside (0, " + upper + "], the bucket of the "
            + "slowest call the client timed (" + slowestSeconds + " s)");
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly();
        }
      }
    }
  }

  /** Prometheus's histogram_quantile for cumulative {@code buckets} (upper bound -> count). */
  static double quantile(double q, TreeMap<Double, Double> buckets) {
    double total = buckets.lastEntry().getValue();
    double rank = q * total;
    double lowerBound = 0;
    double lowerCount = 0;
    for (var b : buckets.entrySet()) {
      if (b.getValue() >= rank) {
        if (b.getKey() == Double.POSITIVE_INFINITY) {
          return lowerBound; // Prometheus answers the highest finite bound
        }
        return lowerBound + (b.getKey() - lowerBound) * (rank - lowerCount) / (b.getValue() - lowerCount);
      }
      lowerBound = b.getKey();
      lowerCount = b.getValue();
    }
    throw new AssertionError("no bucket reaches rank " + rank + ": " + buckets);
  }

  private static double awaitValue(HttpClient http, String api, String expr, double want, Path log) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    java.util.Optional<Double> v = java.util.Optional.empty();
    while (System.nanoTime() < until) {
      try {
        v = query(http, api, expr);
        if (v.isPresent() && v.get() == want) {
          return v.get();
        }
      } catch (IOException notUpYet) {
        // Prometheus still starting
      }
      Thread.sleep(500);
    }
    throw new AssertionError("Prometheus never had " + expr + " = " + want + " (last: " + v + "); its log:\n"
        + Files.readString(log));
  }

  /** The single value of an instant query; empty when it has no result. */
  static java.util.Optional<Double> query(HttpClient http, String api, String expr) throws Exception {
    List<JsonNode> r = result(http, api, expr);
    if (r.isEmpty()) {
      return java.util.Optional.empty();
    }
    assertEquals(1, r.size(), expr + " has several series: " + r);
    return java.util.Optional.of(r.get(0).get("value").get(1).asDouble());
  }

  static List<JsonNode> result(HttpClient http, String api, String expr) throws Exception {
    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/query?query="
        + URLEncoder.encode(expr, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(resp.body());
    if (resp.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new IOException("query " + expr + ": HTTP " + resp.statusCode() + " " + resp.body());
    }
    List<JsonNode> out = new ArrayList<>();
    body.get("data").get("result").forEach(out::add);
    return out;
  }

  private static ModelInferRequest request(int values) {
    ByteBuffer b = ByteBuffer.allocate(values * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < values; i++) {
      b.putFloat((i % 7) / 7f);
    }
    return ModelInferRequest.newBuilder().setModelName("mlp").addInputs(ModelInferRequest.InferInputTensor
        .newBuilder().setName("input").setDatatype("FP32").addShape(1).addShape(784))
        .addRawInputContents(ByteString.copyFrom(b.array())).build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
