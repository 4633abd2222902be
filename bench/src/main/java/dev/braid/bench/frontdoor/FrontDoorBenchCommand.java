package dev.braid.bench.frontdoor;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.DeviceSpec;
import dev.braid.config.HostPort;
import dev.braid.config.RuntimeSettings;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.cluster.BraidNode;
import dev.braid.coordinator.frontend.SingleNode;
import dev.braid.device.Device;
import dev.braid.device.Devices;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.grpc.ModelInferResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench frontdoor}: the calls per second Braid's front door answers beside a bare
 * grpc-java server's, in one run on this machine (issue 5: the front door must reach at least half
 * of the bare rate on a trivial model).
 *
 * <ul>
 *   <li>(a) bare: grpc-java's Netty server answering ModelInfer at once with a fixed response;
 *   <li>(b) front door: {@link SingleNode} (the gRPC server, the inference service, the GPU actor
 *       and its batcher, the device) serving {@link TinyModel}.
 * </ul>
 *
 * Both get the same client ({@link LoadClient}) and request. After a warm-up of each, closed-loop
 * phases alternate a, b, a, b so that machine noise falls on both alike; a server's maximum rate is
 * the mean of its two phases. Then each gets an open loop at a fixed interval at 70% of the bare
 * maximum, for p50/p99 latency. Client and servers share this machine's cores, as in the issue's
 * measurement.
 */
@Command(
    name = "frontdoor",
    mixinStandardHelpOptions = true,
    description = "Calls/s of Braid's front door beside a bare grpc-java server, their ratio, and p50/p99 at 70% of the bare rate.")
public final class FrontDoorBenchCommand implements Callable<Integer> {
  /** The target for the ratio front door / bare. */
  static final double TARGET_RATIO = 0.5;
  /** The open loop's rate as a fraction of the bare server's maximum. */
  static final double LATENCY_LOAD = 0.7;

  @Spec CommandSpec spec;

  @Option(names = "--seconds", description = "Seconds per timed phase (default: ${DEFAULT-VALUE}).")
  double seconds = 10;

  @Option(names = "--warmup-seconds", description = "Untimed closed-loop seconds per server first (default: --seconds).")
  Double warmupSeconds;

  @Option(names = "--in-flight", description = "Calls outstanding in the closed loops (default: ${DEFAULT-VALUE}).")
  int inFlight = 64;

  @Option(names = "--device", description = "The front door's device: " + DeviceSpec.FORMS + " (default: ${DEFAULT-VALUE}).")
  String device = "cpu";

  @Option(names = "--threads", description = "The CPU device's threads (default: braid.runtime.cpu-threads).")
  Integer threads;

  @Option(names = "--out", description = "Directory for frontdoor.json (required unless --write-repo).")
  Path out;

  @Option(names = "--target", description = "HOST:PORT of a running Braid front door serving the model "
      + "'tiny' (see --write-repo) to measure instead of an embedded single node, e.g. a frontend whose GPUs are "
      + "on other nodes.")
  String target;

  @Option(names = "--tls", description = "Also measure the same front door over TLS (a second gRPC server on the "
      + "same node, with throwaway certificates), side by side, and report the ratio TLS / plaintext.")
  boolean tls;

  @Option(names = "--compare-metrics", description = "Also run a second embedded front door with metrics off "
      + "(braid.frontend.metrics-port = -1) and alternate its closed-loop phases with the first's (metrics on, "
      + "scraped every second): reports the ratio metrics-on / metrics-off (issue 14's target: >= 0.95).")
  boolean compareMetrics;

  @Option(names = "--rounds", description = "Closed-loop rounds, each a phase per server in turn (default: ${DEFAULT-VALUE}).")
  int rounds = 2;

  /** The metrics-off front door's mean closed-loop rate, with --compare-metrics. */
  private Double metricsOffMax;

  @Option(names = "--write-repo", description = "Write the model repository holding 'tiny' to DIR and exit (to "
      + "serve it for --target).")
  Path writeRepo;

  @Override
  public Integer call() throws Exception {
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds: expected an integer >= 1, got " + rounds);
    }
    if (!(seconds > 0) || inFlight < 1 || (warmupSeconds != null && warmupSeconds < 0)) {
      throw new IllegalArgumentException("--seconds: expected > 0, --in-flight >= 1 and --warmup-seconds >= 0, got "
          + seconds + ", " + inFlight + ", " + warmupSeconds);
    }
    double warmup = warmupSeconds == null ? seconds : warmupSeconds;
    PrintWriter pw = spec.commandLine().getOut();
    if (writeRepo != null) {
      TinyModel.writeRepository(writeRepo);
      pw.printf("wrote the model repository of '%s' to %s%n", TinyModel.NAME, writeRepo);
      return 0;
    }
    if (out == null) {
      throw new IllegalArgumentException("--out: expected a directory for frontdoor.json, got none");
    }
    if (tls && target != null) {
      throw new IllegalArgumentException("--tls: measures an embedded node's front door with and without TLS; expected "
          + "no --target, got '" + target + "'");
    }
    String targetHost = null;
    int targetPort = 0;
    if (target != null) {
      HostPort hp = HostPort.parse("--target", target);
      targetHost = hp.host();
      targetPort = hp.port();
    }
    Config config = ConfigFactory.load();
    int cpuThreads = threads == null ? RuntimeSettings.from(config).cpuThreads() : Math.max(1, threads);
    Device dev = target != null ? null : Devices.open("--device", DeviceSpec.parse("--device", device), cpuThreads);
    String deviceName = target != null ? "the server at " + target : dev.info().name();
    Path repo = Files.createTempDirectory("braid-frontdoor-");
    List<LoadClient.Phase> closed = new ArrayList<>();
    List<LoadClient.Phase> open = new ArrayList<>();
    try {
      TinyModel.writeRepository(repo);
      FrontendSettings frontend = FrontendSettings.from(config).withPorts(0, 0);
      SingleNode node = null;
      if (target == null) {
        try {
          node = SingleNode.start(ModelRepository.open(repo), dev, GpuSettings.from(config), frontend, config, "bench");
        } catch (Exception e) {
          dev.close();
          throw e;
        }
      }
      SingleNode offNode = null;
      if (compareMetrics) {
        if (target != null) {
          throw new IllegalArgumentException("--compare-metrics: runs two embedded front doors; it cannot be used "
              + "with --target");
        }
        Device offDevice = Devices.open("--device", DeviceSpec.parse("--device", device), cpuThreads);
        try {
          offNode = SingleNode.start(ModelRepository.open(repo), offDevice, GpuSettings.from(config), frontend,
              ConfigFactory.parseMap(java.util.Map.of("braid.frontend.metrics-port", -1)).withFallback(config),
              "bench");
        } catch (Exception e) {
          offDevice.close();
          node.close();
          throw e;
        }
      }
      // With braid.frontend.metrics-port = -1 both front doors run without metrics: an A/A control of the comparison.
      try (SingleNode embedded = node; SingleNode off = offNode; MetricsScraper scraper = compareMetrics
          && embedded.metricsPort() > 0 ? MetricsScraper.every(embedded.metricsPort(), java.time.Duration.ofSeconds(1))
          : null;
          LoadClient c = off == null ? null : new LoadClient("metrics-off", "127.0.0.1", off.grpcPort(),
              TinyModel.request());
          BareServer bare = BareServer.start(frontend.host());
          LoadClient a = new LoadClient("bare", "127.0.0.1", bare.port(), TinyModel.request());
          LoadClient b = new LoadClient("frontdoor", target != null ? targetHost : "127.0.0.1",
              target != null ? targetPort : embedded.grpcPort(), TinyModel.request());
          TlsFrontDoor tlsDoor = tls ? TlsFrontDoor.start(embedded.service(), frontend, TinyModel.request()) : null) {
        for (BraidNode.ModelOutcome m : embedded == null ? List.<BraidNode.ModelOutcome>of() : embedded.outcomes()) {
          if (!m.loaded()) {
            throw new IllegalStateException("the front door could not load " + m.name() + ": " + m.error());
          }
        }
        check(a.once(), "bare");
        check(b.once(), "frontdoor");
        if (tlsDoor != null) {
          check(tlsDoor.client().once(), TlsFrontDoor.NAME);
        }
        pw.printf(Locale.ROOT, "bench frontdoor: %s, %d calls in flight, %.1f s per phase after %.1f s warm-up each; "
            + "front door on %s%n", TinyModel.NAME + " (Relu(x + c), 4 floats, max_batch_size 8, no queue delay)",
            inFlight, seconds, warmup, deviceName);
        List<LoadClient> closedLoopClients = c == null ? List.of(a, b) : List.of(a, b, c);
        if (c != null) {
          check(c.once(), "metrics-off");
        }
        if (warmup > 0) {
          for (LoadClient client : closedLoopClients) {
            client.closedLoop(inFlight, warmup);
          }
        }
        if (warmup > 0 && tlsDoor != null) {
          tlsDoor.client().closedLoop(inFlight, warmup);
        }
        pw.printf("%-10s %-12s %9s %9s %7s %12s %9s %9s%n", "server", "mode", "sent", "answered", "errors",
            "calls/s", "p50 ms", "p99 ms");
        for (int round = 0; round < rounds; round++) {
          // The two front doors swap places every other round, so that neither always follows the bare server.
          List<LoadClient> order = new ArrayList<>(c != null && round % 2 == 1 ? List.of(a, c, b) : closedLoopClients);
          if (tlsDoor != null) {
            order.add(tlsDoor.client());
          }
          for (LoadClient client : order) {
            LoadClient.Phase p = client.closedLoop(inFlight, seconds);
            closed.add(p);
            print(pw, p);
          }
        }
        if (c != null) {
          metricsOffMax = meanRate(closed, "metrics-off");
          double doorWithMetrics = meanRate(closed, "frontdoor");
          pw.printf(Locale.ROOT, "metrics: front door with metrics %s %.0f "
              + "calls/s, off %.0f calls/s, ratio on/off %.3f (target >= 0.95: %s)%n", scraper == null
                  ? "ALSO OFF (braid.frontend.metrics-port = -1: an A/A control)"
                  : "on (scraped every second; " + scraper.scrapes() + " scrapes)",
              doorWithMetrics, metricsOffMax, doorWithMetrics / metricsOffMax,
              doorWithMetrics / metricsOffMax >= 0.95 ? "met" : "NOT met");
        }
        double bareMax = meanRate(closed, "bare");
        double doorMax = meanRate(closed, "frontdoor");
        double offered = LATENCY_LOAD * bareMax;
        for (LoadClient client : List.of(a, b)) {
          LoadClient.Phase p = client.openLoop(offered, seconds);
          open.add(p);
          print(pw, p);
        }
        double ratio = doorMax / bareMax;
        pw.printf(Locale.ROOT, "max rate (mean of " + rounds + " closed-loop phases): bare %.0f calls/s, front door %.0f calls/s, "
            + "ratio %.3f (target >= %.2f: %s)%n", bareMax, doorMax, ratio, TARGET_RATIO,
            ratio >= TARGET_RATIO ? "met" : "NOT met");
        if (tlsDoor != null) {
          double tlsMax = meanRate(closed, TlsFrontDoor.NAME);
          pw.printf(Locale.ROOT, "TLS: front door over TLS %.0f calls/s, plaintext %.0f calls/s, ratio TLS / plaintext "
              + "%.3f (same node, same client, phases interleaved)%n", tlsMax, doorMax, tlsMax / doorMax);
        }
        pw.printf(Locale.ROOT, "at %.0f calls/s (70%% of bare max, fixed interval, latency from due time): "
            + "bare p50 %.3f ms p99 %.3f ms; front door p50 %.3f ms p99 %.3f ms%n", offered,
            open.get(0).p50Ms(), open.get(0).p99Ms(), open.get(1).p50Ms(), open.get(1).p99Ms());
        if (offered > doorMax) {
          pw.printf(Locale.ROOT, "note: %.0f calls/s is above the front door's maximum (%.0f), so its queue grew "
              + "for the whole phase and its latencies above are queueing, not service time%n", offered, doorMax);
        }
        Files.createDirectories(out);
        Path json = out.resolve("frontdoor.json");
        Files.writeString(json, json(deviceName, warmup, bareMax, doorMax, offered, closed, open),
            StandardCharsets.UTF_8);
        pw.printf("wrote %s%n", json);
        pw.flush();
        boolean allAnswered = Stream.concat(closed.stream(), open.stream()).allMatch(p -> p.unanswered() == 0);
        return allAnswered ? 0 : 1;
      }
    } finally {
      deleteTree(repo);
    }
  }

  private static void check(ModelInferResponse r, String server) {
    ModelInferResponse want = TinyModel.fixedResponse();
    if (r.getRawOutputContentsCount() != 1 || !r.getRawOutputContents(0).equals(want.getRawOutputContents(0))) {
      throw new IllegalStateException(server + " answered " + r + ", expected the outputs of " + want);
    }
  }

  private static double meanRate(List<LoadClient.Phase> phases, String server) {
    return phases.stream().filter(p -> p.server().equals(server)).mapToDouble(LoadClient.Phase::rate).average()
        .orElse(Double.NaN);
  }

  private static void print(PrintWriter pw, LoadClient.Phase p) {
    pw.printf(Locale.ROOT, "%-10s %-12s %9d %9d %7d %12.0f %9.3f %9.3f%s%n", p.server(),
        p.mode().equals("open-loop") ? String.format(Locale.ROOT, "open@%.0f", p.offeredRate()) : p.mode(),
        p.sent(), p.ok() + p.errors(), p.errors(), p.rate(), p.p50Ms(), p.p99Ms(),
        p.firstError() == null ? "" : "  first error: " + p.firstError());
    pw.flush();
  }

  private String json(String deviceName, double warmup, double bareMax, double doorMax, double offered,
      List<LoadClient.Phase> closed, List<LoadClient.Phase> open) {
    StringBuilder s = new StringBuilder("{\n");
    s.append("  \"benchmark\": \"frontdoor\",\n");
    s.append("  \"model\": ").append(quote(TinyModel.NAME)).append(",\n");
    s.append("  \"device\": ").append(quote(deviceName)).append(",\n");
    s.append("  \"cores\": ").append(Runtime.getRuntime().availableProcessors()).append(",\n");
    s.append("  \"in_flight\": ").append(inFlight).append(",\n");
    s.append("  \"seconds_per_phase\": ").append(num(seconds)).append(",\n");
    s.append("  \"warmup_seconds\": ").append(num(warmup)).append(",\n");
    s.append("  \"bare_max_rate\": ").append(num(bareMax)).append(",\n");
    s.append("  \"frontdoor_max_rate\": ").append(num(doorMax)).append(",\n");
    s.append("  \"ratio\": ").append(num(doorMax / bareMax)).append(",\n");
    s.append("  \"target_ratio\": ").append(num(TARGET_RATIO)).append(",\n");
    if (metricsOffMax != null) {
      s.append("  \"metrics_off_max_rate\": ").append(num(metricsOffMax)).append(",\n");
      s.append("  \"metrics_on_off_ratio\": ").append(num(doorMax / metricsOffMax)).append(",\n");
    }
    s.append("  \"meets_target\": ").append(doorMax / bareMax >= TARGET_RATIO).append(",\n");
    s.append("  \"latency_rate\": ").append(num(offered)).append(",\n");
    if (closed.stream().anyMatch(p -> p.server().equals(TlsFrontDoor.NAME))) {
      double tlsMax = meanRate(closed, TlsFrontDoor.NAME);
      s.append("  \"frontdoor_tls_max_rate\": ").append(num(tlsMax)).append(",\n");
      s.append("  \"tls_ratio\": ").append(num(tlsMax / doorMax)).append(",\n");
    }
    s.append("  \"frontdoor_overloaded_at_latency_rate\": ").append(offered > doorMax).append(",\n");
    s.append("  \"latency_pacing\": \"fixed-interval, latency measured from each call's due time\",\n");
    s.append("  \"bare_p50_ms\": ").append(num(open.get(0).p50Ms())).append(",\n");
    s.append("  \"bare_p99_ms\": ").append(num(open.get(0).p99Ms())).append(",\n");
    s.append("  \"frontdoor_p50_ms\": ").append(num(open.get(1).p50Ms())).append(",\n");
    s.append("  \"frontdoor_p99_ms\": ").append(num(open.get(1).p99Ms())).append(",\n");
    s.append("  \"phases\": [\n");
    List<LoadClient.Phase> all = new ArrayList<>(closed);
    all.addAll(open);
    for (int i = 0; i < all.size(); i++) {
      LoadClient.Phase p = all.get(i);
      s.append("    {\"server\": ").append(quote(p.server())).append(", \"mode\": ").append(quote(p.mode()))
          .append(", \"seconds\": ").append(num(p.seconds())).append(", \"sent\": ").append(p.sent())
          .append(", \"ok\": ").append(p.ok()).append(", \"errors\": ").append(p.errors())
          .append(", \"unanswered\": ").append(p.unanswered()).append(", \"rate\": ").append(num(p.rate()))
          .append(", \"offered_rate\": ").append(num(p.offeredRate())).append(", \"p50_ms\": ").append(num(p.p50Ms()))
          .append(", \"p99_ms\": ").append(num(p.p99Ms())).append(", \"first_error\": ")
          .append(p.firstError() == null ? "null" : quote(p.firstError())).append('}')
          .append(i + 1 < all.size() ? ",\n" : "\n");
    }
    s.append("  ]\n}\n");
    return s.toString();
  }

  private static String num(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "null";
  }

  private static String quote(String v) {
    StringBuilder s = new StringBuilder("\"");
    for (char c : v.toCharArray()) {
      switch (c) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        case '\n' -> s.append("\\n");
        default -> {
          if (c < 0x20) {
            s.append(String.format("\\u%04x", (int) c));
          } else {
            s.append(c);
          }
        }
      }
    }
    return s.append('"').toString();
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
