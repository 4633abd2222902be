package dev.braid.bench.gpucheck;

import dev.braid.bench.Json;
import dev.braid.bench.table1.Table1Shape;
import dev.braid.device.Device;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlanner;
import dev.braid.device.sim.GpuProfile;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench gpucheck calibrate}: the latency of every distinct kernel of every zoo model
 * at batch 1, and of the Table 1 GEMMs alone and grouped by ten, measured on the device under test
 * beside what {@link SimulatedDevice#estimateNanos} predicts for the matching {@link GpuProfile},
 * so that the cost model and the simulator can be checked against the file.
 *
 * <p>Two measurements per kernel: {@code measured_ns}, the median of launches timed alone from
 * the host call to completion (the simulator's definition, launch overhead included), and
 * {@code pipelined_ns}, wall time per launch of a run enqueued back to back on one stream (launch
 * overhead hidden behind the kernels, as a busy engine sees it). Identical kernels in a model are
 * timed once and counted.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
    description = "Per-kernel latencies of the zoo at batch 1 and the Table 1 GEMMs, beside the simulator's prediction.")
public final class CalibrateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CheckOptions options;

  @Option(names = "--profile", description = "GPU profile to compare against (default: matched from the device's"
      + " name, else h100).")
  String profile;

  @Option(names = "--models", split = ",", description = "Zoo models (default: all).")
  List<String> models = ModelZoo.MODEL_NAMES;

  @Option(names = "--image-size", description = "Image models' input size (default: ${DEFAULT-VALUE}).")
  int imageSize = ZooOptions.DEFAULT_IMAGE_SIZE;

  @Option(names = "--warmup", description = "Untimed launches per kernel (default: ${DEFAULT-VALUE}).")
  int warmup = 2;

  @Option(names = "--repeats", description = "Timed solo launches per kernel, median kept (default: ${DEFAULT-VALUE}).")
  int repeats = 7;

  @Option(names = "--pipelined", description = "Back-to-back launches for pipelined_ns; 0 skips it (default: ${DEFAULT-VALUE}).")
  int pipelined = 20;

  /** One distinct kernel to time: where it comes from, how often it occurs there. */
  record Item(String source, String op, Kernel kernel, int count, boolean grouped, List<Kernel> problems) {}

  /** One measured kernel. */
  record Row(Item item, long medianNs, long minNs, double pipelinedNs, long simNs, String failure) {}

  @Override
  public Integer call() throws Exception {
    if (warmup < 0 || repeats < 1 || pipelined < 0) {
      throw new IllegalArgumentException("--warmup >= 0, --repeats >= 1 and --pipelined >= 0 expected, got "
          + warmup + ", " + repeats + ", " + pipelined);
    }
    options.createParent();
    PrintWriter w = spec.commandLine().getOut();
    List<Item> items = items(Zoo.load(models, imageSize));
    List<Row> rows = new ArrayList<>();
    String deviceName;
    GpuProfile prof;
    String match;
    try (Device dev = options.openDevice()) {
      deviceName = dev.info().name();
      if (profile != null) {
        prof = GpuProfiles.byName(profile);
        match = "--profile";
      } else {
        prof = matchProfile(deviceName);
        match = prof == null ? "default" : "device name";
        prof = prof == null ? GpuProfiles.H100 : prof;
      }
      w.printf(Locale.ROOT, "gpucheck calibrate on %s (%s): %d distinct kernels, simulator profile %s (%s)%n",
          options.spec(), deviceName, items.size(), prof.name(), match);
      SimulatedDevice sim = new SimulatedDevice(prof);
      SplittableRandom rnd = new SplittableRandom(options.seed);
      for (Item it : items) {
        Row r = measure(dev, sim, it, rnd.split());
        rows.add(r);
        w.printf(Locale.ROOT, "  %-11s %-40.40s x%-3d measured %9.1f us  pipelined %9.1f us  sim %9.1f us%s%n",
            it.source(), it.op(), it.count(), r.medianNs() / 1e3, r.pipelinedNs() / 1e3, r.simNs() / 1e3,
            r.failure() == null ? "" : "  FAILED " + r.failure());
        w.flush();
      }
      sim.close();
    }
    Files.writeString(options.out, toJson(options.spec().toString(), deviceName, prof.name(), match, imageSize, rows),
        StandardCharsets.UTF_8);
    w.println("wrote " + options.out);
    return rows.stream().allMatch(r -> r.failure() == null) ? 0 : 1;
  }

  /** Distinct kernels of each model at batch 1, then the Table 1 GEMMs alone and grouped by ten. */
  static List<Item> items(Map<String, RepositoryModel> zoo) {
    List<Item> out = new ArrayList<>();
    for (Map.Entry<String, RepositoryModel> e : zoo.entrySet()) {
      Map<Kernel, List<String>> distinct = new LinkedHashMap<>();
      for (KernelOp op : KernelPlanner.plan(e.getValue().latest().bind(1)).ops()) {
        distinct.computeIfAbsent(op.kernel(), k -> new ArrayList<>()).add(op.node());
      }
      distinct.forEach((k, nodes) -> out.add(new Item(e.getKey(), nodes.get(0), k, nodes.size(), false, List.of(k))));
    }
    for (Table1Shape s : Table1Shape.values()) {
      Gemm g = Gemm.of(s.m(), s.n(), s.k());
      out.add(new Item("table1", s.key(), g, 1, false, List.of(g)));
      out.add(new Item("table1", s.key() + " x10 grouped", g, 1, true, Collections.nCopies(10, g)));
    }
    return out;
  }

  Row measure(Device dev, SimulatedDevice sim, Item it, SplittableRandom rnd) {
    long simNs;
    try (KernelRunner s = new KernelRunner(sim)) {
      simNs = sim.estimateNanos(s.prepare(it.problems(), it.grouped()).launch());
    }
    try (KernelRunner l = new KernelRunner(dev)) {
      KernelRunner.Prepared p = l.prepare(it.problems(), it.grouped());
      List<List<float[]>> inputs = new ArrayList<>();
      for (Kernel k : it.problems()) {
        List<float[]> args = new ArrayList<>();
        for (int a = 0; a < k.argNames().size() - k.outputCount(); a++) {
          args.add(KernelCase.inputs(k, a, rnd));
        }
        inputs.add(args);
      }
      l.upload(p, inputs);
      long[] ns = l.time(p, warmup, repeats);
      double piped = pipelined > 0 ? l.pipelinedNanos(p, pipelined) : Double.NaN;
      return new Row(it, ns[ns.length / 2], ns[0], piped, simNs, null);
    } catch (Exception e) {
      return new Row(it, 0, 0, Double.NaN, simNs, String.valueOf(e));
    }
  }

  /** The profile whose marketing name the device's name matches best, or null. */
  static GpuProfile matchProfile(String deviceName) {
    String n = deviceName.toUpperCase(Locale.ROOT);
    if (n.contains("H200")) {
      return GpuProfiles.H200;
    }
    if (n.contains("H100")) {
      return GpuProfiles.H100;
    }
    if (n.contains("A100")) {
      return n.contains("80GB") ? GpuProfiles.A100_80GB : GpuProfiles.A100_40GB;
    }
    if (n.contains("V100")) {
      return GpuProfiles.V100;
    }
    return null;
  }

  static String toJson(String device, String deviceName, String profile, String match, int imageSize, List<Row> rows) {
    StringJoiner out = new StringJoiner(",\n", "[\n", "\n  ]");
    List<Double> errors = new ArrayList<>();
    for (Row r : rows) {
      Item it = r.item();
      long flops = it.problems().stream().mapToLong(Kernel::flops).sum();
      long bytes = it.problems().stream().mapToLong(k -> k.bytesRead() + k.bytesWritten()).sum();
      double err = r.failure() == null && r.medianNs() > 0 ? (r.simNs() - r.medianNs()) / (double) r.medianNs()
          : Double.NaN;
      if (!Double.isNaN(err)) {
        errors.add(Math.abs(err));
      }
      out.add(String.format(Locale.ROOT, "    {\"source\": %s, \"op\": %s, \"kind\": %s, \"grouped\": %s,"
              + " \"problems\": %d, \"shape\": %s, \"count\": %d, \"flops\": %d, \"bytes\": %d, \"measured_ns\": %d,"
              + " \"measured_min_ns\": %d, \"pipelined_ns\": %s, \"sim_ns\": %d, \"sim_rel_error\": %s, \"error\": %s}",
          Json.quote(it.source()), Json.quote(it.op()), Json.quote(it.kernel().getClass().getSimpleName()),
          it.grouped(), it.problems().size(), Json.quote(it.kernel().toString()), it.count(), flops, bytes,
          r.medianNs(), r.minNs(), Json.num(r.pipelinedNs()), r.simNs(), Json.num(err),
          r.failure() == null ? "null" : Json.quote(r.failure())));
    }
    Collections.sort(errors);
    double median = errors.isEmpty() ? Double.NaN : errors.get(errors.size() / 2);
    double worst = errors.isEmpty() ? Double.NaN : errors.get(errors.size() - 1);
    return "{\n  \"check\": \"calibrate\",\n  \"device\": " + Json.quote(device) + ",\n  \"device_name\": "
        + Json.quote(deviceName) + ",\n  \"profile\": " + Json.quote(profile) + ",\n  \"profile_match\": "
        + Json.quote(match) + ",\n  \"image_size\": " + imageSize + ",\n  \"batch\": 1"
        + ",\n  \"sim_abs_rel_error_median\": " + Json.num(median) + ",\n  \"sim_abs_rel_error_worst\": "
        + Json.num(worst) + ",\n  \"kernels\": " + out + "\n}\n";
  }
}
