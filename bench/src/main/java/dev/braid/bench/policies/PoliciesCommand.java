package dev.braid.bench.policies;

import dev.braid.bench.plot.PanelChart;
import dev.braid.bench.timeline.TimelineChart;
import dev.braid.bench.timeline.TraceFlags;
import dev.braid.config.DeviceSpec;
import dev.braid.config.RuntimeSettings;
import dev.braid.device.Device;
import dev.braid.device.Devices;
import dev.braid.device.plan.KernelPlanner;
import dev.braid.device.sim.GpuProfile;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.trace.TraceRecorder;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.Tensor;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ZooOptions;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench policies}: the same workload of batch-1 requests to N co-located models run
 * through {@code time-only}, {@code space-only} and {@code space-time}, side by side, each on a
 * fresh engine and device. Prints a table per N and writes {@code results.json} and
 * {@code policies.png} to {@code --out}.
 *
 * <p>The workload: instance {@code i} is architecture {@code mix[i % mix.size()]} loaded under
 * the name {@code <arch>#<i>} (its own device weights, as a separate tenant's would be); requests
 * arrive per instance as a Poisson process at {@code --rate}; each request's deadline is its
 * arrival plus its instance's SLO. Before the runs, each architecture runs one batch-1 request
 * alone on the device: its latency is the yardstick of {@code --slo Kx}, and the device time it
 * took (its service time) sizes the automatic rate.
 *
 * <p>With {@code --goodput}, each policy's goodput at {@code --models} follows: the highest load
 * multiplier on the instances' rates at which at least 99% of requests finish within their SLO
 * ({@link GoodputSearch}, {@link GoodputBench}), with the measures at that point; with {@code
 * --critical}, the latency-critical mix at each policy's goodput. Both go to the tables and to the
 * {@code goodput} block of {@code results.json}.
 *
 * <p>Policies get the engine's {@code braid.gpu} defaults, except that {@code space-only} gets one
 * stream per model, as its definition says (each model on its own stream, what CUDA streams or MPS
 * give); {@code time-only} uses one stream whatever it is given.
 *
 * <p>Timelines: {@code --trace FILE} records each policy's device timeline of the N = {@code
 * --models} run (on a simulated GPU from the start of the arrivals, time 0; elsewhere from the device's
 * opening) and writes it as Chrome trace-event JSON to FILE with the policy's name inserted before
 * the extension ({@code t.json} -> {@code t-time-only.json}, {@code t-space-only.json}, {@code
 * t-space-time.json}); {@code --timeline-png} draws the same window of the space-only and
 * space-time timelines.
 */
@Command(
    name = "policies",
    mixinStandardHelpOptions = true,
    description = "N co-located models under Poisson batch-1 load with SLOs: time-only, space-only and space-time"
        + " side by side.")
public final class PoliciesCommand implements Callable<Integer> {
  /** The policies compared, in table order: the two baselines, then Braid's. */
  static final List<String> POLICIES = List.of("time-only", "space-only", "space-time");

  /** The numbers of co-located models a sweep runs. */
  static final List<Integer> SWEEP_MODELS = List.of(1, 2, 4, 8, 16);

  @Spec CommandSpec spec;

  @Option(names = "--device", required = true, description = "Device: sim-<gpu> (e.g. sim-h100; virtual time), cpu or auto (wall time).")
  String device;

  @Option(names = "--out", required = true, description = "Directory for results.json and policies.png (created if missing).")
  Path out;

  @Option(names = "--models", description = "Co-located model instances N, cycling through --mix (default: ${DEFAULT-VALUE}).")
  int models = 8;

  @Option(names = "--mix", split = ",", description = "Architectures the instances cycle through (default: resnet18,mobilenetv2,bert,mlp).")
  List<String> mix;

  @Option(names = "--rate", description = "Poisson arrival rate per model, requests/s, or auto (default): %n"
      + "1 / (sum over the N instances of their isolated batch-1 service time).")
  String rate = "auto";

  @Option(names = "--duration", description = "Arrival window, e.g. 20s, 500ms, 1m (default: ${DEFAULT-VALUE}).")
  String duration = "20s";

  @Option(names = "--seed", description = "Seed of the arrivals (and of the CPU run's inputs) (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--slo", description = "Latency objective per model: Kx (K times its isolated batch-1 latency on the"
      + " device) or a duration for all (e.g. 25ms) (default: ${DEFAULT-VALUE}).")
  String slo = "5x";

  @Option(names = "--policies", split = ",", description = "Policies to run, in the benchmark's order (default:"
      + " time-only,space-only,space-time); the ratios need space-time and the policy compared.")
  List<String> policies = POLICIES;

  @Option(names = "--sweep", description = "Also run N = 1, 2, 4, 8, 16 and plot throughput and p99 against N.")
  boolean sweep;

  @Option(names = "--goodput", description = "Also find each policy's goodput: the highest offered load (one"
      + " multiplier on every model's rate) at which >= 99%% of requests finish within their SLO, by a deterministic"
      + " search over short probes (see --probe-duration).")
  boolean goodput;

  @Option(names = "--probe-duration", description = "Arrival window of each goodput probe (default: ${DEFAULT-VALUE}).")
  String probeDuration = "1s";

  @Option(names = "--critical", paramLabel = "MODEL", description = "A latency-critical model (an instance name such"
      + " as bert#2, or an architecture of the mix for its first instance): Triton priority 1 and an SLO of 2x its"
      + " isolated latency beside the other models at each policy's goodput load (implies --goodput).")
  String critical;

  @Option(names = "--image-size", description = "Image models' input size, a multiple of 32 (default: ${DEFAULT-VALUE},"
      + " ImageNet's; smaller keeps --device cpu runs short).")
  int imageSize = ZooOptions.DEFAULT_IMAGE_SIZE;

  @Option(names = "--threads", description = "CPU device threads (default: braid.runtime.cpu-threads).")
  Integer threads;

  @Option(names = "--trace", description = "Write each policy's device timeline (Chrome trace-event JSON, for Perfetto or"
      + " chrome://tracing) to FILE with the policy inserted before the extension: t.json -> t-space-time.json.")
  Path trace;

  @Option(names = "--trace-events", description = "Events kept per trace, the first ones; a longer run's trace says it"
      + " was truncated (default: ${DEFAULT-VALUE}).")
  int traceEvents = TraceRecorder.DEFAULT_MAX_EVENTS;

  @Option(names = "--timeline-png", description = "Draw the same window of the space-only and space-time timelines to"
      + " this PNG.")
  Path timelinePng;

  @Option(names = "--timeline-from-ms", description = "Start of the drawn window, ms of the traces' time (0 = start"
      + " of the arrivals on a simulated GPU), or auto: the window in which the most space-time super-kernels start"
      + " (default: ${DEFAULT-VALUE}).")
  String timelineFrom = "auto";

  @Option(names = "--timeline-window-ms", description = "Length of the drawn window, ms (default: ${DEFAULT-VALUE}).")
  double timelineWindowMs = 2;

  @Override
  public Integer call() throws Exception {
    // every flag is checked before anything runs or is written
    DeviceSpec deviceSpec = DeviceSpec.parse("--device", device);
    if (models < 1) {
      throw new IllegalArgumentException("--models: expected an integer >= 1, got " + models);
    }
    List<String> archs = PoliciesFlags.mix(mix == null ? List.of("resnet18", "mobilenetv2", "bert", "mlp") : mix);
    long durationNanos = PoliciesFlags.parseDuration("--duration", duration);
    Double ratePerModel = PoliciesFlags.parseRate(rate);
    PoliciesFlags.Slo sloSpec = PoliciesFlags.parseSlo(slo);
    long probeNanos = PoliciesFlags.parseDuration("--probe-duration", probeDuration);
    String criticalInstance = critical == null ? null : PoliciesFlags.resolveCritical(critical, models, archs);
    if (imageSize < 32 || imageSize % 32 != 0) {
      throw new IllegalArgumentException("--image-size: expected a multiple of 32 that is >= 32, got " + imageSize);
    }
    int cpuThreads = threads == null ? RuntimeSettings.load().cpuThreads() : threads;
    if (cpuThreads < 1) {
      throw new IllegalArgumentException("--threads: expected an integer >= 1, got " + cpuThreads);
    }
    TraceFlags.maxEvents(traceEvents);
    Double timelineFromMs = PoliciesFlags.parseTimelineFrom(timelineFrom);
    if (!(timelineWindowMs > 0) || Double.isInfinite(timelineWindowMs)) {
      throw new IllegalArgumentException("--timeline-window-ms: expected a number > 0, got " + timelineWindowMs);
    }
    for (String p : policies) {
      if (!POLICIES.contains(p)) {
        throw new IllegalArgumentException("--policies: expected some of " + String.join(", ", POLICIES) + ", got '"
            + p + "'");
      }
    }
    List<String> runPolicies = POLICIES.stream().filter(policies::contains).toList();
    if (timelinePng != null && !runPolicies.containsAll(List.of("space-only", "space-time"))) {
      throw new IllegalArgumentException("--timeline-png draws space-only and space-time: --policies must include both,"
          + " got " + policies);
    }
    boolean tracing = trace != null || timelinePng != null;
    GpuProfile profile = null;
    String deviceName;
    if (deviceSpec.kind() == DeviceSpec.Kind.SIMULATED) {
      try (Device d = Devices.open("--device", deviceSpec, 1)) {
        deviceName = d.info().name();
      }
      profile = GpuProfiles.find(deviceSpec.profile()).orElseThrow();
    } else {
      try (Device d = Devices.open("--device", deviceSpec, cpuThreads)) {
        deviceName = d.info().name();
      }
    }
    boolean virtual = profile != null;
    PrintWriter w = spec.commandLine().getOut();
    PrintWriter progress = spec.commandLine().getErr();
    Files.createDirectories(out);

    List<String> distinct = List.copyOf(new LinkedHashSet<>(archs));
    Map<String, RepositoryModel> repo = PolicyModels.loadZoo(distinct, imageSize);
    Map<String, Long> flops = new HashMap<>();
    for (String a : distinct) {
      flops.put(a, KernelPlanner.plan(repo.get(a).latest().bind(1)).totalFlops());
    }
    Function<Workload.Instance, Map<String, Tensor>> inputs = PolicyModels.inputs(repo, virtual, seed);
    PolicyRunner runner = new PolicyRunner(repo, inputs, progress);
    GpuProfile prof = profile;
    Supplier<Device> open = () -> Devices.open("--device", deviceSpec, cpuThreads);

    w.printf(Locale.ROOT, "bench policies on %s (%s): %s time, arrivals over %s, seed %d, SLO %s%n", deviceSpec,
        deviceName, virtual ? "virtual" : "wall", duration, seed, slo);
    Map<String, PolicyRunner.Isolated> isolated = new LinkedHashMap<>();
    GpuSettings alone = GpuSettings.defaults().withPolicy("time-only");
    for (String a : distinct) {
      PolicyRunner.Isolated i = virtual ? runner.isolatedOnSimulator(prof, alone, a)
          : runner.isolatedOnDevice(open, alone, a);
      isolated.put(a, i);
      w.printf(Locale.ROOT, "  %-12s alone at batch 1: %.3f ms latency, %.3f ms of device time, %.3f GFLOP%n", a,
          i.latencyNanos() / 1e6, i.serviceNanos() / 1e6, flops.get(a) / 1e9);
    }
    w.flush();

    List<Integer> ns = sweep ? List.copyOf(new TreeSet<>(Stream.concat(SWEEP_MODELS.stream(), Stream.of(models))
        .toList())) : List.of(models);
    List<PoliciesReport.Point> points = new ArrayList<>();
    Map<String, TraceRecorder> timelines = new LinkedHashMap<>();
    PoliciesReport.Point main = null;
    for (int n : ns) {
      List<Workload.Instance> instances = PolicyModels.instances(n, archs, ratePerModel, sloSpec, isolated, flops);
      Workload workload = Workload.generate(instances, durationNanos, seed);
      w.println();
      w.printf(Locale.ROOT, "N = %d co-located models (%s), %.3f requests/s per model, %d requests%n", n,
          String.join(", ", instances.stream().map(Workload.Instance::name).toList()), instances.get(0).rateRps(),
          workload.requestCount());
      w.flush();
      List<PolicyResult> results = new ArrayList<>();
      for (String policy : runPolicies) {
        progress.printf(Locale.ROOT, "bench policies: N=%d %s ...%n", n, policy);
        progress.flush();
        GpuSettings settings = settingsFor(policy, n);
        TraceRecorder rec = tracing && n == models ? TraceFlags.recorder(traceEvents) : null;
        results.add(virtual ? runner.onSimulator(prof, settings, workload, rec)
            : runner.onDevice(open, settings, workload, rec));
        if (rec != null) {
          timelines.put(policy, rec);
          if (trace != null) {
            Path file = TraceFlags.withPart(trace, policy);
            rec.write(file);
            progress.println(TraceFlags.wrote(file, rec));
            progress.flush();
          }
        }
      }
      PoliciesReport.Point point = new PoliciesReport.Point(n, workload, results);
      points.add(point);
      if (n == models) {
        main = point;
      }
      new PoliciesReport(deviceSpec.toString(), deviceName, virtual ? "virtual" : "wall", seed, durationNanos, archs,
          rate, slo, isolated, point, List.of(), null).printTable(w, point);
      w.flush();
    }

    GoodputReport goodputReport = null;
    if (goodput || criticalInstance != null) {
      List<Workload.Instance> base = PolicyModels.instances(models, archs, ratePerModel, sloSpec, isolated, flops);
      GoodputBench.PolicyProbe probe = (r, policy, instances, only) -> {
        Workload drawn = Workload.generate(instances, probeNanos, seed);
        Workload wl = only == null ? drawn : drawn.only(only);
        GpuSettings settings = settingsFor(policy, wl.instances().size());
        return virtual ? r.onSimulator(prof, settings, wl, null) : r.onDevice(open, settings, wl, null);
      };
      Map<String, RepositoryModel> prioritised = new LinkedHashMap<>();
      repo.forEach((a, m) -> prioritised.put(a, PolicyModels.withPriorityLevels(m)));
      PolicyRunner priorityRunner = new PolicyRunner(prioritised, inputs, progress);
      goodputReport = new GoodputBench(GoodputSearch.DEFAULT, probeNanos, base, probe, runner, priorityRunner, w,
          progress).run(runPolicies, criticalInstance, isolated);
      w.println();
      goodputReport.printTable(w);
      w.flush();
    }

    PoliciesReport report = new PoliciesReport(deviceSpec.toString(), deviceName, virtual ? "virtual" : "wall", seed,
        durationNanos, archs, rate, slo, isolated, main, sweep ? points : List.of(), goodputReport);
    Path json = out.resolve("results.json");
    Files.writeString(json, report.toJson(), StandardCharsets.UTF_8);
    Path png = out.resolve("policies.png");
    String pngLine = PanelChart.writePngOrSkip(png, "Policies on " + deviceSpec + " (" + deviceName + "), " + (sweep ? "N = " + ns
        : models + " co-located models") + ", SLO " + slo, PoliciesChart.panels(report), 2);
    w.println();
    w.println("wrote " + json);
    w.println(pngLine);
    if (trace != null) {
      for (String policy : runPolicies) {
        w.println(TraceFlags.wrote(TraceFlags.withPart(trace, policy), timelines.get(policy)));
      }
    }
    if (timelinePng != null) {
      long window = Math.round(timelineWindowMs * 1e6);
      long from = timelineFromMs != null ? Math.round(timelineFromMs * 1e6)
          : TimelineChart.busiestWindow(timelines.get("space-time").events(), window);
      List<TimelineChart.Panel> panels = new ArrayList<>();
      for (String policy : List.of("space-only", "space-time")) {
        panels.add(new TimelineChart.Panel(policy, timelines.get(policy).events()));
      }
      TimelineChart.writePng(timelinePng, String.format(Locale.ROOT, "Device timeline on %s (%s), %d models, %.3f ms"
          + " from %.3f ms%s", deviceSpec, deviceName, models, timelineWindowMs, from / 1e6, timelineFromMs == null
          ? " (auto: the most space-time super-kernels)" : ""), panels, from, window);
      w.println("wrote " + timelinePng);
    }
    return 0;
  }

  /** The engine settings of {@code policy} for {@code n} models: defaults, space-only one stream per model, all of one priority. */
  static GpuSettings settingsFor(String policy, int n) {
    GpuSettings d = GpuSettings.defaults().withPolicy(policy);
    if (!policy.equals("space-only")) {
      return d;
    }
    return d.withStreamPriorities(Collections.nCopies(n, 0));
  }
}
