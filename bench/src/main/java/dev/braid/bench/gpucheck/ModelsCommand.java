package dev.braid.bench.gpucheck;

import dev.braid.coordinator.cli.RandomInputs;
import dev.braid.bench.Json;
import dev.braid.device.Device;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
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
 * {@code braid bench gpucheck models}: every zoo model end to end on the device under test and on
 * {@link CpuDevice}, at each {@code --batch}, same weights and random inputs; the largest error
 * over all outputs relative to the reference's largest magnitude. Exit code 0 when all pass.
 */
@Command(name = "models", mixinStandardHelpOptions = true,
    description = "Every zoo model end to end against the CPU device, at batch 1 and 4.")
public final class ModelsCommand implements Callable<Integer> {
  /**
   * Default tolerance: a model chains up to ~60 kernels, each within {@link KernelsCommand#DEFAULT_TOLERANCE}
   * of the reference, and errors compound through normalizations; 1e-3 is 10x the per-kernel
   * bound and still far below what a wrong layer gives (O(1)).
   */
  static final double DEFAULT_TOLERANCE = 1e-3;

  @Spec CommandSpec spec;
  @Mixin CheckOptions options;

  @Option(names = "--tolerance", description = "Largest passing error relative to the reference's largest"
      + " magnitude (default: ${DEFAULT-VALUE}).")
  double tolerance = DEFAULT_TOLERANCE;

  @Option(names = "--batch", split = ",", description = "Batch sizes (default: 1,4).")
  List<Integer> batches = List.of(1, 4);

  @Option(names = "--models", split = ",", description = "Zoo models (default: all).")
  List<String> models = ModelZoo.MODEL_NAMES;

  @Option(names = "--image-size", description = "Image models' input size, a multiple of 32 (default: ${DEFAULT-VALUE}).")
  int imageSize = ZooOptions.DEFAULT_IMAGE_SIZE;

  /** One model at one batch size. */
  record Outcome(String model, int batch, ErrorStats error, String failure, boolean passed, double deviceMs,
      double referenceMs) {}

  @Override
  public Integer call() throws Exception {
    for (int b : batches) {
      if (b < 1) {
        throw new IllegalArgumentException("--batch: expected integers >= 1, got " + b);
      }
    }
    options.createParent();
    PrintWriter w = spec.commandLine().getOut();
    Map<String, RepositoryModel> zoo = Zoo.load(models, imageSize);
    List<Outcome> outcomes = new ArrayList<>();
    String deviceName;
    try (Device dev = options.openDevice(); CpuDevice ref = options.openReference()) {
      deviceName = dev.info().name();
      w.printf(Locale.ROOT, "gpucheck models on %s (%s) against %s, image size %d, tolerance %.1e relative%n",
          options.spec(), deviceName, ref.info().name(), imageSize, tolerance);
      SplittableRandom root = new SplittableRandom(options.seed);
      for (String name : models) {
        for (int batch : batches) {
          ModelGraph graph = zoo.get(name).latest().bind(batch);
          Outcome o = check(dev, ref, graph, name, batch, RandomInputs.drawn(graph, root.split()), tolerance);
          outcomes.add(o);
          w.printf(Locale.ROOT, "  %-4s %-12s batch %-2d max abs %.2e rel %.2e  (device %.1f ms, cpu %.1f ms)%s%n",
              o.passed() ? "ok" : "FAIL", name, batch, o.error().maxAbs(), o.error().maxRel(), o.deviceMs(),
              o.referenceMs(), o.failure() == null ? "" : "  " + o.failure());
          w.flush();
        }
      }
    }
    Files.writeString(options.out, toJson(options.spec().toString(), deviceName, imageSize, tolerance, outcomes),
        StandardCharsets.UTF_8);
    w.printf(Locale.ROOT, "%d of %d runs passed; wrote %s%n", outcomes.stream().filter(Outcome::passed).count(),
        outcomes.size(), options.out);
    return outcomes.stream().allMatch(Outcome::passed) ? 0 : 1;
  }

  static Outcome check(Device dev, CpuDevice ref, ModelGraph graph, String name, int batch,
      Map<String, Tensor> inputs, double tolerance) {
    Map<String, Tensor> expected;
    long t0 = System.nanoTime();
    try (CompiledModel m = ModelExecutor.compile(graph, ref)) {
      expected = KernelRunner.await(m.run(inputs), "the CPU reference");
    } catch (Exception e) {
      return new Outcome(name, batch, ErrorStats.ZERO, "the CPU reference failed: " + e, false, 0, 0);
    }
    double refMs = (System.nanoTime() - t0) / 1e6;
    long t1 = System.nanoTime();
    try (CompiledModel m = ModelExecutor.compile(graph, dev)) {
      Map<String, Tensor> got = KernelRunner.await(m.run(inputs), "inference");
      double devMs = (System.nanoTime() - t1) / 1e6;
      ErrorStats err = ErrorStats.ZERO;
      for (Map.Entry<String, Tensor> e : expected.entrySet()) {
        Tensor g = got.get(e.getKey());
        err = err.merge(g == null || !g.shape().equals(e.getValue().shape())
            ? new ErrorStats(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, e.getValue().size())
            : ErrorStats.of(g.toFloats(), e.getValue().toFloats()));
      }
      return new Outcome(name, batch, err, null, err.within(tolerance), devMs, refMs);
    } catch (Exception e) {
      return new Outcome(name, batch, ErrorStats.ZERO, String.valueOf(e), false, 0, refMs);
    }
  }

  static String toJson(String device, String deviceName, int imageSize, double tolerance, List<Outcome> outcomes) {
    StringJoiner runs = new StringJoiner(",\n", "[\n", "\n  ]");
    for (Outcome o : outcomes) {
      runs.add(String.format(Locale.ROOT, "    {\"model\": %s, \"batch\": %d, \"elements\": %d, \"max_abs\": %s,"
              + " \"max_rel\": %s, \"pass\": %s, \"device_ms_incl_compile\": %s, \"cpu_ms_incl_compile\": %s,"
              + " \"error\": %s}",
          Json.quote(o.model()), o.batch(), o.error().elements(), Json.num(o.error().maxAbs()),
          Json.num(o.error().maxRel()), o.passed(), Json.num(o.deviceMs()), Json.num(o.referenceMs()),
          o.failure() == null ? "null" : Json.quote(o.failure())));
    }
    return "{\n  \"check\": \"models\",\n  \"device\": " + Json.quote(device) + ",\n  \"device_name\": "
        + Json.quote(deviceName) + ",\n  \"reference\": \"cpu\",\n  \"image_size\": " + imageSize
        + ",\n  \"tolerance_rel\": " + Json.num(tolerance) + ",\n  \"passed\": "
        + outcomes.stream().allMatch(Outcome::passed) + ",\n  \"runs\": " + runs + "\n}\n";
  }
}
