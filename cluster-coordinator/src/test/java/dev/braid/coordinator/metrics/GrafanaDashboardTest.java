package dev.braid.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.braid.device.DeviceInfo;
import dev.braid.device.DeviceKind;
import dev.braid.gpu.engine.EngineStats;
import dev.braid.protocol.cluster.FailureReason;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/grafana/braid.json} is a Grafana dashboard (JSON with the fields Grafana needs) with
 * the panels the operator's issue names, and every metric its queries name is one a Braid node
 * really exports: the names are checked against a scrape of a node whose every hook was fed once.
 */
class GrafanaDashboardTest {
  static final Path DASHBOARD = Path.of("..", "docs", "grafana", "braid.json");
  static final List<String> REQUIRED_PANELS = List.of("Goodput per model", "SLO attainment per model",
      "p99 latency per model", "Queue delay", "GPU utilisation", "Fusion: super-kernels", "Refusals by reason");
  /** A metric name in PromQL: Braid's and Triton's prefixes only (functions and labels are not metrics). */
  static final Pattern METRIC = Pattern.compile("\\b((?:braid|nv|jvm)_[a-z0-9_]+)\\b");

  @Test
  void theDashboardHasTheOperatorsPanelsAndQueriesOnlyExportedMetrics() throws Exception {
    JsonNode d = new ObjectMapper().readTree(Files.readString(DASHBOARD, StandardCharsets.UTF_8));
    assertEquals("Braid", d.path("title").asText());
    assertTrue(d.path("schemaVersion").asInt() >= 30, "schemaVersion");
    assertFalse(d.path("uid").asText().isEmpty(), "uid");
    Set<String> titles = new HashSet<>();
    Set<Integer> ids = new HashSet<>();
    Set<String> queried = new TreeSet<>();
    for (JsonNode p : d.path("panels")) {
      String title = p.path("title").asText();
      assertTrue(titles.add(title), "two panels titled " + title);
      assertTrue(ids.add(p.path("id").asInt()), "two panels with id " + p.path("id"));
      assertFalse(p.path("type").asText().isEmpty(), title + ": type");
      JsonNode grid = p.path("gridPos");
      assertTrue(grid.path("w").asInt() > 0 && grid.path("h").asInt() > 0, title + ": gridPos");
      assertTrue(p.path("targets").size() > 0, title + ": no query");
      for (JsonNode t : p.path("targets")) {
        String expr = t.path("expr").asText();
        Matcher m = METRIC.matcher(expr);
        boolean any = false;
        while (m.find()) {
          queried.add(m.group(1));
          any = true;
        }
        assertTrue(any, title + ": query names no Braid metric: " + expr);
      }
    }
    assertTrue(titles.containsAll(REQUIRED_PANELS), "panels " + titles + " lack some of " + REQUIRED_PANELS);

    Set<String> exported = exportedSeriesNames();
    Set<String> unknown = new TreeSet<>(queried);
    unknown.removeAll(exported);
    assertTrue(unknown.isEmpty(), "the dashboard queries metrics Braid does not export: " + unknown
        + " (exported: " + exported + ")");
  }

  /** Every series name a node writes once each hook has been fed. */
  static Set<String> exportedSeriesNames() throws Exception {
    ActorTestKit kit = ActorTestKit.create("grafana", ConfigFactory.parseString(
        "pekko.actor.provider = cluster\npekko.remote.artery.canonical.port = 0\npekko.cluster.roles = [frontend]\n"
            + "pekko.remote.artery.canonical.hostname = 127.0.0.1\nbraid.frontend.metrics-port = 0")
        .withFallback(ConfigFactory.load()));
    try {
      // A cluster of one, joined, so that the members gauge has a member to count.
      Cluster cluster = Cluster.get(kit.system());
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (cluster.selfMember().status() != MemberStatus.up() && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      NodeMetrics metrics = NodeMetrics.of(kit.system());
      FrontendMetrics f = metrics.frontend(m -> true, m -> 1, () -> 1, () -> 1, () -> 1);
      f.track("m", System.nanoTime(), CompletableFuture.completedFuture("x"));
      f.admitted("m");
      f.ended("m", Status.Code.OK, true);
      f.ended("m", Status.Code.INTERNAL, false);
      f.refused("m", FailureReason.OVERLOADED);
      f.retried("m");
      GpuMetrics g = metrics.gpu(0);
      g.batchStarted("m", 1, 1, 1, 1);
      g.batchFinished("m", 1, 1, 1);
      g.launchIssued(2, 1);
      g.deviceFault();
      g.stats(new EngineStats("space-time", 1, List.of("m"), 0, 0, 0, 0, Map.of(), 0, 0, 0, 0, Map.of(),
          Map.of("m", 0), 0, 0, 0, 0, true, ""), new DeviceInfo("gpu", DeviceKind.CPU, 1, Optional.empty()), 0, 0);
      metrics.placementChange("load");
      Set<String> names = new TreeSet<>();
      for (String sample : Exposition.parse(new String(metrics.scrape(), StandardCharsets.UTF_8)).samples()
          .keySet()) {
        names.add(sample.contains("{") ? sample.substring(0, sample.indexOf('{')) : sample);
      }
      return names;
    } finally {
      kit.shutdownTestKit();
    }
  }
}
