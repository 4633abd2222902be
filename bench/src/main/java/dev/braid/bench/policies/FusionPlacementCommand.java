package dev.braid.bench.policies;

import dev.braid.coordinator.cli.RandomInputs;
import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.coordinator.placement.GpuId;
import dev.braid.coordinator.placement.GpuInfo;
import dev.braid.coordinator.placement.ModelDemand;
import dev.braid.coordinator.placement.Placement;
import dev.braid.coordinator.placement.PlacementPlan;
import dev.braid.coordinator.placement.PlacementSettings;
import dev.braid.device.plan.KernelPlanner;
import dev.braid.device.sim.GpuProfile;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench fusion-placement}: what feeding fusion profiles to {@link Placement} changes
 * on a cluster of two simulated GPUs, side by side in one run. The same instances (each
 * architecture of {@code --mix} loaded {@code --copies} times) are placed twice by the
 * coordinator's {@link Placement}: once with every profile {@link FusionProfile#NONE} (as the
 * coordinator placed before), once with each model's profile from its kernel plan (as it places
 * now); then each GPU of each placement runs its instances' share of one workload under the
 * space-time policy in virtual time, and the two placements' totals are printed.
 *
 * <p>Each instance offers {@code --load} of one GPU (its rate is that share over its isolated
 * batch-1 service time). Fusion can only decide while GPUs stay within placement's target
 * utilisation (0.7 by default): above it, balance places. So the instances that share a GPU offer
 * together at most that target. Weights are taken as equal (placement orders by size; memory
 * never binds here), so the order is by name.
 */
@Command(name = "fusion-placement", mixinStandardHelpOptions = true,
    description = "Two simulated GPUs: placement without and with fusion profiles, then the space-time policy on each.")
public final class FusionPlacementCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--device", description = "Simulated GPU profile, sim-<gpu> (default: ${DEFAULT-VALUE}).")
  String device = "sim-h100";

  @Option(names = "--mix", split = ",", description = "Architectures (default: ${DEFAULT-VALUE}).")
  List<String> mix = List.of("resnet18", "bert");

  @Option(names = "--copies", description = "Instances of each architecture (default: ${DEFAULT-VALUE}).")
  int copies = 2;

  @Option(names = "--load", description = "Share of one GPU each instance offers (default: ${DEFAULT-VALUE}).")
  double load = 0.3;

  @Option(names = "--duration", description = "Arrival window in seconds (default: ${DEFAULT-VALUE}).")
  double durationSeconds = 10;

  @Option(names = "--seed", description = "Seed of the arrivals (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--slo",
      description = "Latency objective as a multiple of the isolated latency (default: ${DEFAULT-VALUE}).")
  double sloMultiple = 5;

  /** Weights every instance is taken to have: equal, and far below an H100's memory. */
  private static final long WEIGHTS_BYTES = 256L << 20;

  @Override
  public Integer call() throws IOException {
    PrintWriter w = spec.commandLine().getOut();
    String name = device.startsWith("sim-") ? device.substring(4) : device;
    GpuProfile profile = GpuProfiles.find(name).orElseThrow(() -> new IllegalArgumentException(
        "--device must be sim-<gpu> with a known profile, got '" + device + "'"));
    Map<String, RepositoryModel> repo = zoo(mix);
    Map<String, FusionProfile> fusion = new HashMap<>();
    Map<String, Long> flops = new HashMap<>();
    for (String a : mix) {
      var plan = KernelPlanner.plan(repo.get(a).latest().bind(1));
      fusion.put(a, FusionProfile.of(plan));
      flops.put(a, plan.totalFlops());
    }
    Map<String, Map<String, Tensor>> zeros = new HashMap<>();
    PolicyRunner runner = new PolicyRunner(repo,
        inst -> zeros.computeIfAbsent(inst.arch(), a -> RandomInputs.zeros(repo.get(a).latest().bind(1))),
        spec.commandLine().getErr());
    GpuSettings alone = GpuSettings.defaults().withPolicy("time-only");
    List<Workload.Instance> instances = new ArrayList<>();
    Map<String, PolicyRunner.Isolated> isolated = new HashMap<>();
    int index = 0;
    for (int c = 0; c < copies; c++) {
      for (String a : mix) {
        PolicyRunner.Isolated iso = isolated.computeIfAbsent(a, x -> runner.isolatedOnSimulator(profile, alone, x));
        instances.add(new Workload.Instance(a + "#" + index++, a, load * 1e9 / iso.serviceNanos(),
            Math.round(sloMultiple * iso.latencyNanos()), flops.get(a)));
      }
    }
    Workload workload = Workload.generate(instances, Math.round(durationSeconds * 1e9), seed);
    w.printf(Locale.ROOT, "bench fusion-placement on 2 x %s: %d instances of %s, %.2f of a GPU each, %.0f s, seed %d,"
        + " SLO %.1fx isolated, space-time policy%n", profile.name(), instances.size(), mix, load, durationSeconds,
        seed, sloMultiple);
    for (String a : mix) {
      for (String b : mix) {
        if (a.compareTo(b) < 0) {
          w.printf(Locale.ROOT, "  fusion overlap %s/%s = %.3f (each with itself 1)%n", a, b,
              fusion.get(a).overlap(fusion.get(b)));
        }
      }
    }
    List<GpuInfo> gpus = List.of(gpu(profile, 0), gpu(profile, 1));
    Map<String, Totals> totals = new LinkedHashMap<>();
    for (boolean fed : new boolean[] {false, true}) {
      List<ModelDemand> demands = instances.stream().map(i -> new ModelDemand(i.name(), WEIGHTS_BYTES, i.rateRps(),
          isolated.get(i.arch()).serviceNanos(), Duration.ofNanos(i.sloNanos()),
          fed ? fusion.get(i.arch()) : FusionProfile.NONE)).toList();
      PlacementPlan plan = new Placement(PlacementSettings.DEFAULTS).place(PlacementPlan.EMPTY, gpus, demands).plan();
      for (Workload.Instance i : instances) {
        if (plan.replicasOf(i.name()).size() != 1) {
          throw new IllegalArgumentException("--load " + load + " gives " + i.name() + " "
              + plan.replicasOf(i.name()).size() + " replicas; this bench runs one per model: take --load at most"
              + " placement's target utilisation " + PlacementSettings.DEFAULTS.targetUtilisation());
        }
      }
      String label = fed ? "fusion profiles" : "no profiles";
      Totals t = new Totals();
      for (GpuInfo g : gpus) {
        List<String> names = plan.replicas().entrySet().stream().filter(e -> e.getValue().contains(g.id()))
            .map(Map.Entry::getKey).toList();
        List<Workload.Instance> here = instances.stream().filter(i -> names.contains(i.name())).toList();
        PolicyResult r = runner.onSimulator(profile, PoliciesCommand.settingsFor("space-time", here.size()),
            subset(workload, names), null);
        w.printf(Locale.ROOT, "  %-15s GPU %d: %-28s %6d/%6d within SLO, p99 %7.2f ms, super-kernel ops %d%n", label,
            g.id().ordinal(), names, r.withinSlo(), r.submitted(), r.p99Nanos() / 1e6, r.superKernelOps());
        t.add(r);
      }
      totals.put(label, t);
    }
    w.printf(Locale.ROOT, "  %-15s %10s %10s %12s %10s%n", "placement", "submitted", "within SLO", "attainment",
        "SK ops");
    totals.forEach((label, t) -> w.printf(Locale.ROOT, "  %-15s %10d %10d %11.2f%% %10d%n", label, t.submitted,
        t.withinSlo, 100.0 * t.withinSlo / Math.max(1, t.submitted), t.superKernelOps));
    Totals before = totals.get("no profiles");
    Totals after = totals.get("fusion profiles");
    w.printf(Locale.ROOT, "  within SLO, fusion profiles / no profiles: %.3f%n",
        (double) after.withinSlo / Math.max(1, before.withinSlo));
    w.flush();
    return 0;
  }

  private static GpuInfo gpu(GpuProfile profile, int ordinal) {
    return new GpuInfo(new GpuId("sim", ordinal), profile.name(), profile.memoryBytes(), Optional.empty(),
        GpuInfo.State.HEALTHY);
  }

  /** The arrivals of the instances named {@code names}, at the same times, as a workload of those instances. */
  static Workload subset(Workload w, List<String> names) {
    List<Workload.Instance> kept = new ArrayList<>();
    int[] newIndex = new int[w.instances().size()];
    for (int i = 0; i < w.instances().size(); i++) {
      newIndex[i] = names.contains(w.instances().get(i).name()) ? kept.size() : -1;
      if (newIndex[i] >= 0) {
        kept.add(w.instances().get(i));
      }
    }
    List<long[]> events = new ArrayList<>();
    for (int r = 0; r < w.requestCount(); r++) {
      if (newIndex[w.instanceOf(r)] >= 0) {
        events.add(new long[] {w.arrivalNanos(r), newIndex[w.instanceOf(r)]});
      }
    }
    long[] times = events.stream().mapToLong(e -> e[0]).toArray();
    int[] index = events.stream().mapToInt(e -> (int) e[1]).toArray();
    return new Workload(kept, w.durationNanos(), times, index);
  }

  /** One placement's sums over its GPUs. */
  private static final class Totals {
    long submitted;
    long withinSlo;
    long superKernelOps;

    void add(PolicyResult r) {
      submitted += r.submitted();
      withinSlo += r.withinSlo();
      superKernelOps += r.superKernelOps();
    }
  }

  /** Writes {@code archs} from the zoo to a temporary repository, loads them, and deletes the files. */
  private static Map<String, RepositoryModel> zoo(List<String> archs) throws IOException {
    Path dir = Files.createTempDirectory("braid-bench-fusion-placement");
    Map<String, RepositoryModel> out = new LinkedHashMap<>();
    try {
      ModelZoo.generate(dir, ZooOptions.defaults().withModels(archs.toArray(String[]::new)));
      ModelRepository repository = ModelRepository.open(dir);
      archs.forEach(a -> out.put(a, repository.load(a)));
    } finally {
      delete(dir);
    }
    return out;
  }

  private static void delete(Path p) throws IOException {
    if (Files.isDirectory(p)) {
      try (var children = Files.list(p)) {
        for (Path c : children.toList()) {
          delete(c);
        }
      }
    }
    Files.deleteIfExists(p);
  }
}
