package dev.braid.bench.load;

import dev.braid.bench.DurationFlag;
import dev.braid.config.HostPort;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench load}: a load generator for any Open Inference Protocol server over gRPC
 * (Braid, Triton, KServe), in the manner of Triton's perf_analyzer. It reads the model's metadata,
 * builds one request of the right shapes and datatypes ({@link OipRequests}), sends a few warm-up
 * calls one at a time and an untimed second of closed loop, then runs one of:
 *
 * <ul>
 *   <li>an open loop at {@code --rate} requests/s (Poisson or constant arrivals; latency from the
 *       intended send time, see {@link LoadDriver});
 *   <li>a closed loop of {@code --concurrency} calls in flight;
 *   <li>a sweep of open loops over {@code --rate-range A:B:STEP};
 *   <li>a search for the highest rate whose highest {@code --percentiles} latency stays within
 *       {@code --latency-threshold-ms} ({@code --find-max}, {@link MaxRateSearch}), a failed call
 *       counting as one over the threshold.
 * </ul>
 *
 * It prints a progress line per second and a table, and writes {@code load.json}, {@code load.png}
 * and (with {@code --csv}) {@code load.csv}. Exit codes: 0 measured (errors the server answered are
 * measures, not failures), 1 the server could not be reached or refused every warm-up call, 2 bad
 * flags.
 */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = "Load an Open Inference Protocol server (Braid or Triton) over gRPC: requests/s, latency "
        + "percentiles, SLO attainment, errors by status; sweeps and max-rate search.")
public final class LoadCommand implements Callable<Integer> {
  /** Answers the client accepts: as the server's default request limit. */
  private static final int MAX_MESSAGE_BYTES = 64 << 20;

  @Spec CommandSpec spec;

  @Option(names = "--target", description = "HOST:PORT of the server's gRPC endpoint (default: ${DEFAULT-VALUE}).")
  String target = "127.0.0.1:8001";

  @Option(names = "--model", required = true, description = "Model name.")
  String model;

  @Option(names = "--rate", description = "Open loop: requests per second.")
  Double rate;

  @Option(names = "--concurrency", description = "Closed loop: calls kept in flight.")
  Integer concurrency;

  @Option(names = "--duration", description = "Length of each run, e.g. 10s, 500ms, 2m (default: ${DEFAULT-VALUE}).")
  String duration = "10s";

  @Option(names = "--distribution", description = "Open-loop arrivals: poisson or constant (default: ${DEFAULT-VALUE}).")
  String distribution = "poisson";

  @Option(names = "--slo-ms", description = "Latency objective in ms: reports the share of requests answered OK within it, and goodput.")
  Double sloMs;

  @Option(names = "--percentiles", split = ",", description = "Latency percentiles to report (default: 50,90,99).")
  List<Double> percentiles = new ArrayList<>(List.of(50.0, 90.0, 99.0));

  @Option(names = "--rate-range", description = "A sweep of open loops: START:END:STEP in requests/s.")
  String rateRange;

  @Option(names = "--find-max", description = "Search the highest rate meeting --latency-threshold-ms at the highest --percentiles.")
  boolean findMax;

  @Option(names = "--latency-threshold-ms", description = "The latency threshold of --find-max, ms.")
  Double latencyThresholdMs;

  @Option(names = "--start-rate", description = "--find-max: the first rate probed (default: ${DEFAULT-VALUE}).")
  double startRate = 10;

  @Option(names = "--max-rate", description = "--find-max: the highest rate probed (default: ${DEFAULT-VALUE}).")
  double maxRate = 10_000;

  @Option(names = "--resolution", description = "--find-max: stop when the bounds are within this share (default: ${DEFAULT-VALUE}).")
  double resolution = 0.05;

  @Option(names = "--batch", description = "Batch size of each request, for a model that batches (default: ${DEFAULT-VALUE}).")
  int batch = 1;

  @Option(names = "--timeout-ms", description = "Deadline of each call, ms (default: ${DEFAULT-VALUE}).")
  long timeoutMs = 30_000;

  @Option(names = "--warmup", description = "Calls sent one at a time before measuring (default: ${DEFAULT-VALUE}).")
  int warmup = 5;

  @Option(names = "--warmup-seconds", description = "Then an untimed closed loop of one call in flight for this long,"
      + " so that the measured runs find the client's and server's code compiled (default: ${DEFAULT-VALUE}).")
  double warmupSeconds = 1;

  @Option(names = "--seed", description = "Seed of the inputs and the Poisson arrivals (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--out", description = "Directory for load.json, load.png and load.csv (default: ${DEFAULT-VALUE}).")
  Path out = Path.of(".");

  @Option(names = "--csv", description = "Also write load.csv (one line per run).")
  boolean csv;

  @Option(names = "--quiet", description = "No progress line per second.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    PrintWriter pw = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Duration runLength = DurationFlag.parse("--duration", duration);
    Arrivals.Distribution arrivals = Arrivals.Distribution.parse("--distribution", distribution);
    int modes = (rate != null ? 1 : 0) + (concurrency != null ? 1 : 0) + (rateRange != null ? 1 : 0)
        + (findMax ? 1 : 0);
    if (modes != 1) {
      throw new IllegalArgumentException("--rate, --concurrency, --rate-range, --find-max: expected exactly one, got "
          + modes);
    }
    if (rate != null && (!(rate > 0) || rate.isInfinite())) {
      throw new IllegalArgumentException("--rate: expected requests per second > 0, got " + rate);
    }
    if (concurrency != null && concurrency < 1) {
      throw new IllegalArgumentException("--concurrency: expected an integer >= 1, got " + concurrency);
    }
    if (findMax != (latencyThresholdMs != null)) {
      throw new IllegalArgumentException("--latency-threshold-ms: expected together with --find-max (and only then), got "
          + (findMax ? "--find-max without it" : latencyThresholdMs + " without --find-max"));
    }
    if (latencyThresholdMs != null && !(latencyThresholdMs > 0)) {
      throw new IllegalArgumentException("--latency-threshold-ms: expected ms > 0, got " + latencyThresholdMs);
    }
    if (sloMs != null && !(sloMs > 0)) {
      throw new IllegalArgumentException("--slo-ms: expected ms > 0, got " + sloMs);
    }
    if (percentiles.isEmpty() || percentiles.stream().anyMatch(p -> !(p > 0 && p <= 100))) {
      throw new IllegalArgumentException("--percentiles: expected values in (0, 100] such as 50,90,99, got " + percentiles);
    }
    if (!(warmupSeconds >= 0) || Double.isInfinite(warmupSeconds)) {
      throw new IllegalArgumentException("--warmup-seconds: expected seconds >= 0, got " + warmupSeconds);
    }
    if (timeoutMs < 1 || warmup < 0) {
      throw new IllegalArgumentException("--timeout-ms >= 1 and --warmup >= 0 expected, got " + timeoutMs + " and "
          + warmup);
    }
    List<Double> sweep = rateRange == null ? List.of() : MaxRateSearch.sweep("--rate-range", rateRange);
    List<Double> ps = percentiles.stream().distinct().sorted().toList();
    HostPort hostPort = HostPort.parse("--target", target);

    ManagedChannel channel = NettyChannelBuilder.forAddress(hostPort.host(), hostPort.port()).usePlaintext()
        .maxInboundMessageSize(MAX_MESSAGE_BYTES).build();
    try {
      ModelMetadataResponse meta;
      try {
        meta = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
            .modelMetadata(ModelMetadataRequest.newBuilder().setName(model).build());
      } catch (StatusRuntimeException e) {
        err.println("braid bench load: " + unreachable(e.getStatus()));
        return 1;
      }
      OipRequests.Built built = OipRequests.fromMetadata(meta, model, batch, seed);
      pw.printf("model %s at %s: %s%n", model, target, String.join(", ", built.inputs()));
      if (warmup > 0) {
        String firstError = warm(channel, built, pw);
        if (firstError != null) {
          err.println("braid bench load: every warm-up call failed; the first: " + firstError);
          return 1;
        }
      }
      LoadDriver driver = new LoadDriver(channel, built.request(), Duration.ofMillis(timeoutMs), ps,
          sloMs == null ? Double.NaN : sloMs, latencyThresholdMs == null ? Double.NaN : latencyThresholdMs);
      if (warmupSeconds > 0) {
        driver.closedLoop(1, Duration.ofNanos((long) (warmupSeconds * 1e9)), p -> { });
      }
      List<LoadResult> runs = new ArrayList<>();
      MaxRateSearch.Result search = null;
      if (rate != null) {
        runs.add(openLoop(driver, rate, arrivals, runLength, pw));
      } else if (concurrency != null) {
        pw.printf("closed loop: %d in flight for %s%n", concurrency, duration);
        runs.add(driver.closedLoop(concurrency, runLength, progress(pw, "")));
      } else if (!sweep.isEmpty()) {
        for (double r : sweep) {
          runs.add(openLoop(driver, r, arrivals, runLength, pw));
        }
      } else {
        double p = ps.get(ps.size() - 1);
        search = MaxRateSearch.search(startRate, maxRate, resolution, r -> {
          try {
            LoadResult res = openLoop(driver, r, arrivals, runLength, pw);
            runs.add(res);
            boolean meets = meets(res, p);
            pw.printf(Locale.ROOT, "  rate %.4g: %s%n", r, meets ? "meets the threshold" : "misses the threshold");
            return meets;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
          }
        });
      }
      LoadReport report = new LoadReport(target, model, arrivals.label(), ps, runs, search,
          latencyThresholdMs == null ? Double.NaN : latencyThresholdMs);
      pw.print(report.table());
      for (String line : report.write(out, csv)) {
        pw.println(line);
      }
      pw.flush();
      return 0;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Whether a run meets the search's threshold: at least {@code p}% of the calls sent were
   * answered OK within it (a failed or unanswered call counts as over it).
   */
  static boolean meets(LoadResult r, double p) {
    // A tolerance of a millionth: the share is a ratio of counts, p a decimal.
    return r.sent() > 0 && r.thresholdAttainment() >= p / 100.0 - 1e-9;
  }

  private LoadResult openLoop(LoadDriver driver, double r, Arrivals.Distribution arrivals, Duration runLength,
      PrintWriter pw) throws InterruptedException {
    pw.printf(Locale.ROOT, "open loop: %.4g requests/s (%s) for %s%n", r, arrivals.label(), duration);
    return driver.openLoop(r, arrivals, seed, runLength, progress(pw, ""));
  }

  private Consumer<LoadDriver.Progress> progress(PrintWriter pw, String prefix) {
    long[] last = new long[1];
    return p -> {
      long ok = p.ok();
      if (!quiet) {
        pw.printf(Locale.ROOT, "%s[%4.0fs] sent %d, ok %d (%d in the last second), errors %d, in flight %d%n", prefix,
            p.seconds(), p.sent(), ok, ok - last[0], p.errors(), p.sent() - ok - p.errors());
        pw.flush();
      }
      last[0] = ok;
    };
  }

  /** Sends the warm-up calls one at a time; null if any answered OK, else the first failure. */
  private String warm(ManagedChannel channel, OipRequests.Built built, PrintWriter pw) {
    String first = null;
    var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    for (int i = 0; i < warmup; i++) {
      try {
        stub.withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS).modelInfer(built.request());
        return null;
      } catch (StatusRuntimeException e) {
        if (first == null) {
          first = unreachable(e.getStatus());
        }
      }
    }
    return first;
  }

  private String unreachable(Status s) {
    String text = s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
    // A status the server sent carries no cause; one the transport made (connection refused) does.
    return s.getCause() == null ? text : "cannot reach " + target + ": " + text + " (" + s.getCause().getMessage() + ")";
  }

  @Override
  public String toString() {
    return "bench load " + Arrays.asList(target, model);
  }
}
