package dev.braid.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.config.SettingsException;
import dev.braid.device.DeviceInfo;
import dev.braid.device.DeviceKind;
import dev.braid.gpu.engine.EngineStats;
import dev.braid.protocol.cluster.FailureReason;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The exposition a node's metrics write: Triton's names, labels and types exactly (no
 * {@code _total} on Triton's counters), Braid's families with their labels, a histogram's
 * buckets, and that the figures fed through the hooks come out. Driven through the hooks the
 * engine and the frontend call, on an actor system of its own (a cluster of one, not joined).
 */
class NodeMetricsTest {
  static ActorTestKit kit;
  static NodeMetrics metrics;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("metrics", ConfigFactory.parseString(
        "pekko.actor.provider = cluster\npekko.remote.artery.canonical.port = 0\n"
            + "pekko.remote.artery.canonical.hostname = 127.0.0.1\nbraid.frontend.metrics-port = 0")
        .withFallback(ConfigFactory.load()));
    metrics = NodeMetrics.of(kit.system());
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void tritonFamiliesKeepTritonsNamesLabelsAndTypes() throws Exception {
    FrontendMetrics front = metrics.frontend(m -> m.equals("resnet"), m -> 3, () -> 17, () -> 2_000_000_000L,
        () -> 0);
    GpuMetrics gpu = metrics.gpu(0);
    CompletableFuture<String> ok = new CompletableFuture<>();
    CompletionStage<String> tracked = front.track("resnet", System.nanoTime() - 5_000_000, ok);
    ok.complete("outputs");
    tracked.toCompletableFuture().join();
    CompletableFuture<String> bad = new CompletableFuture<>();
    CompletionStage<String> trackedBad = front.track("resnet", System.nanoTime(), bad);
    bad.completeExceptionally(Status.INVALID_ARGUMENT.withDescription("input 'x'").asRuntimeException());
    assertThrows(Exception.class, () -> trackedBad.toCompletableFuture().join());
    gpu.batchStarted("resnet", 3, 2, 5, 7_000_000); // two requests, five rows, 7 ms queued together
    gpu.batchFinished("resnet", 3, 2, 4_000_000);
    gpu.stats(stats(Map.of("resnet", 4), 0, 0), new DeviceInfo("test gpu", DeviceKind.CPU, 1L << 30, Optional.empty()),
        2_500_000, 1);

    Exposition e = Exposition.parse(new String(metrics.scrape(), StandardCharsets.UTF_8));
    for (String counter : List.of("nv_inference_request_success", "nv_inference_request_failure",
        "nv_inference_count", "nv_inference_exec_count", "nv_inference_request_duration_us",
        "nv_inference_queue_duration_us", "nv_inference_compute_infer_duration_us")) {
      assertEquals("counter", e.types().get(counter), counter);
    }
    for (String gauge : List.of("nv_inference_pending_request_count", "nv_gpu_utilization",
        "nv_gpu_memory_total_bytes", "nv_gpu_memory_used_bytes")) {
      assertEquals("gauge", e.types().get(gauge), gauge);
    }
    assertEquals(1, e.value("nv_inference_request_success{model=\"resnet\",version=\"3\"}"));
    assertEquals(1, e.value("nv_inference_request_failure{model=\"resnet\",version=\"3\",reason=\"INVALID_ARGUMENT\"}"));
    assertTrue(e.value("nv_inference_request_duration_us{model=\"resnet\",version=\"3\"}") >= 5_000);
    assertEquals(5, e.value("nv_inference_count{model=\"resnet\",version=\"3\"}"));
    assertEquals(1, e.value("nv_inference_exec_count{model=\"resnet\",version=\"3\"}"));
    assertEquals(7_000, e.value("nv_inference_queue_duration_us{model=\"resnet\",version=\"3\"}"));
    assertEquals(4_000, e.value("nv_inference_compute_infer_duration_us{model=\"resnet\",version=\"3\"}"));
    assertEquals(4, e.value("nv_inference_pending_request_count{model=\"resnet\",version=\"3\"}"));
    assertEquals(1L << 30, e.value("nv_gpu_memory_total_bytes{gpu_uuid=\"0\"}"));
    assertEquals(0.0025, e.value("braid_gpu_predicted_queue_delay_seconds{gpu=\"0\"}"), 1e-12);
    assertEquals(1, e.value("braid_gpu_policy{gpu=\"0\",policy=\"space-time\"}"));
    assertEquals(1, e.value("braid_gpu_actor_restarts{gpu=\"0\"}"));
    assertEquals(17, e.value("braid_frontend_routing_table_version"));
    assertEquals(2.0, e.value("braid_frontend_routing_table_age_seconds"), 1e-9);
    // the latency histogram: classic buckets, cumulative; the request took at least 5 ms
    assertEquals("histogram", e.types().get("braid_request_duration_seconds"));
    assertEquals(0, e.value("braid_request_duration_seconds_bucket{model=\"resnet\",le=\"0.0025\"}"));
    assertEquals(1, e.value("braid_request_duration_seconds_bucket{model=\"resnet\",le=\"10.0\"}"));
    assertEquals(1, e.value("braid_request_duration_seconds_bucket{model=\"resnet\",le=\"+Inf\"}"));
    assertEquals(1, e.value("braid_request_duration_seconds_count{model=\"resnet\"}"));
    // JVM metrics are there too
    assertTrue(e.types().containsKey("jvm_memory_used_bytes"), e.types().keySet().toString());
    assertTrue(e.types().keySet().stream().anyMatch(k -> k.startsWith("jvm_gc_collection_seconds")),
        e.types().keySet().toString());
    assertTrue(e.types().containsKey("jvm_threads_current"), e.types().keySet().toString());
  }

  @Test
  void gpuCountersUtilisationAndTheFusionHistogram() throws Exception {
    GpuMetrics gpu = metrics.gpu(1);
    assertSame(gpu, metrics.gpu(1));
    gpu.launchIssued(1, 1_000);
    gpu.launchIssued(3, 2_000);
    gpu.launchIssued(5, 3_000);
    gpu.deviceFault();
    DeviceInfo dev = new DeviceInfo("test gpu", DeviceKind.CPU, 1L << 30, Optional.empty());
    gpu.stats(stats(Map.of(), 1_000_000_000L, 0), dev, 0, 0);
    gpu.stats(stats(Map.of(), 2_000_000_000L, 250_000_000L), dev, 0, 0); // busy 0.25 s of 1 s
    Exposition e = Exposition.parse(new String(metrics.scrape(), StandardCharsets.UTF_8));
    assertEquals("counter", e.types().get("braid_gpu_launches_total"));
    assertEquals(3, e.value("braid_gpu_launches_total{gpu=\"1\"}"));
    assertEquals(2, e.value("braid_gpu_super_kernels_total{gpu=\"1\"}"));
    assertEquals(1, e.value("braid_gpu_device_faults_total{gpu=\"1\"}"));
    assertEquals(6e-6, e.value("braid_gpu_launch_path_busy_seconds_total{gpu=\"1\"}"), 1e-12);
    assertEquals(0.25, e.value("nv_gpu_utilization{gpu_uuid=\"1\"}"), 1e-12);
    assertEquals("histogram", e.types().get("braid_gpu_kernels_per_super_kernel"));
    assertEquals(0, e.value("braid_gpu_kernels_per_super_kernel_bucket{gpu=\"1\",le=\"2.0\"}"));
    assertEquals(1, e.value("braid_gpu_kernels_per_super_kernel_bucket{gpu=\"1\",le=\"3.0\"}"));
    assertEquals(2, e.value("braid_gpu_kernels_per_super_kernel_bucket{gpu=\"1\",le=\"6.0\"}"));
    assertEquals(8, e.value("braid_gpu_kernels_per_super_kernel_sum{gpu=\"1\"}"));
  }

  @Test
  void frontendOutcomesSplitIntoGoodputAndMissesByReasonAndUnknownModelsShareOneLabel() throws Exception {
    FrontendMetrics front = metrics.frontend(m -> m.equals("resnet"), m -> 3, () -> 17, () -> 0, () -> 0);
    double before = goodput();
    front.admitted("resnet");
    front.ended("resnet", Status.Code.OK, true);
    front.admitted("resnet");
    front.ended("resnet", Status.Code.OK, false);
    front.admitted("resnet");
    front.ended("resnet", Status.Code.DEADLINE_EXCEEDED, false);
    front.admitted("resnet");
    front.ended("resnet", Status.Code.INTERNAL, false);
    front.retried("resnet");
    front.refused("resnet", FailureReason.OVERLOADED);
    front.refused("no-such-model-" + System.nanoTime(), FailureReason.UNKNOWN_MODEL);
    Exposition e = Exposition.parse(new String(metrics.scrape(), StandardCharsets.UTF_8));
    assertEquals(before + 1, goodput());
    assertTrue(e.value("braid_deadline_misses_total{model=\"resnet\",reason=\"too_late\"}") >= 2);
    assertTrue(e.value("braid_deadline_misses_total{model=\"resnet\",reason=\"failed\"}") >= 1);
    assertTrue(e.value("braid_deadline_misses_total{model=\"resnet\",reason=\"refused\"}") >= 1);
    assertTrue(e.value("braid_frontend_refusals_total{model=\"resnet\",reason=\"overloaded\"}") >= 1);
    assertTrue(e.value("braid_frontend_retries_total{model=\"resnet\"}") >= 1);
    assertTrue(e.value("braid_slo_requests_total{model=\"resnet\"}") >= 5);
    assertEquals(1, e.value("braid_frontend_refusals_total{model=\"_unknown\",reason=\"unknown_model\"}"));
    assertFalse(e.samples().keySet().stream().anyMatch(k -> k.contains("no-such-model")), "a client's name "
        + "became a label");
  }

  @Test
  void theEndpointServesTheTextFormatAndOffTurnsEveryHookOff() throws Exception {
    try (MetricsServer server = MetricsServer.start(metrics, new MetricsSettings(0, "127.0.0.1"))) {
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
          + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals(MetricsServer.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElse(""));
      assertTrue(Exposition.parse(r.body()).types().containsKey("jvm_threads_current"), r.body());
      assertEquals(404, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
          + "/other")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(405, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
          + "/metrics")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode());
    }
    ActorTestKit off = ActorTestKit.create("metrics-off", ConfigFactory.parseString(
        "pekko.actor.provider = cluster\npekko.remote.artery.canonical.port = 0\nbraid.frontend.metrics-port = -1")
        .withFallback(ConfigFactory.load()));
    try {
      NodeMetrics none = NodeMetrics.of(off.system());
      assertFalse(none.enabled());
      assertNull(none.gpu(0));
      FrontendMetrics f = none.frontend(m -> true, m -> 1, () -> 1, () -> 1, () -> 1);
      assertFalse(f.enabled());
      CompletableFuture<String> done = CompletableFuture.completedFuture("x");
      assertSame(done, f.track("m", 0, done), "a disabled recorder must not even wrap the response");
    } finally {
      off.shutdownTestKit();
    }
  }

  @Test
  void settingsNameTheKeyAndTheBadPort() {
    SettingsException e = assertThrows(SettingsException.class, () -> new MetricsSettings(70_000, "0.0.0.0"));
    assertTrue(e.getMessage().contains("braid.frontend.metrics-port") && e.getMessage().contains("70000"),
        e.getMessage());
    assertEquals(8002, MetricsSettings.from(ConfigFactory.load()).port());
    assertFalse(new MetricsSettings(-1, "0.0.0.0").enabled());
  }

  @Test
  void labelValuesAreEscaped() {
    assertEquals("a\\\\b\\\"c\\nd", TritonMetrics.escape("a\\b\"c\nd"));
  }

  private static double goodput() throws Exception {
    Double v = Exposition.parse(new String(metrics.scrape(), StandardCharsets.UTF_8)).samples()
        .get("braid_goodput_requests_total{model=\"resnet\"}");
    return v == null ? 0 : v;
  }

  private static EngineStats stats(Map<String, Integer> queued, long nowNanos, long busyNanos) {
    return new EngineStats("space-time", nowNanos, List.copyOf(queued.keySet()), 0, 0, 0, 0, Map.of(), 0, 0, 0, 0,
        Map.of(), queued, 0, 0, busyNanos, 0, true, "");
  }
}
