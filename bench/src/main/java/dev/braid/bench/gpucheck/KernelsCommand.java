package dev.braid.bench.gpucheck;

import dev.braid.bench.Json;
import dev.braid.device.Device;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.cuda.KernelManifest;
import dev.braid.device.kernel.Kernel;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench gpucheck kernels}: every kernel and both super-kernels ({@link KernelCases})
 * on the device under test and on {@link CpuDevice} with the same random inputs; the largest
 * error per case, and pass or fail at {@code --tolerance}. Exit code 0 when every case passes,
 * 1 otherwise; the JSON is written either way.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
    description = "Every kernel and super-kernel against the CPU device on random inputs.")
public final class KernelsCommand implements Callable<Integer> {
  /**
   * Default tolerance on the error relative to the reference's largest magnitude: float32 sums in
   * another order differ by about sqrt(K) x 6e-8 (2e-6 at K = 1152); transcendental functions
   * (erf, tanh, exp) from the GPU's libm differ by a few ulp. 1e-4 leaves 50x room over both and
   * still catches any indexing or tiling bug, which errs by O(1). The bf16 cases hold to the same
   * bound: their reference rounds the inputs to bf16 exactly as the GPU does, bf16 products are
   * exact in float32, so again only the float32 summation order differs (the tensor cores' inner
   * 16-term sums included); an input left unrounded would err by about 2^-9 = 2e-3 and fail.
   */
  static final double DEFAULT_TOLERANCE = 1e-4;

  @Spec CommandSpec spec;
  @Mixin CheckOptions options;

  @Option(names = "--tolerance", description = "Largest passing error, relative to the reference's largest"
      + " magnitude (default: ${DEFAULT-VALUE}).")
  double tolerance = DEFAULT_TOLERANCE;

  /** One case's outcome. */
  record Outcome(KernelCase kase, ErrorStats error, String failure, boolean passed) {}

  @Override
  public Integer call() throws Exception {
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException("--tolerance: expected a number >= 0, got " + tolerance);
    }
    options.createParent();
    PrintWriter w = spec.commandLine().getOut();
    List<Outcome> outcomes = new ArrayList<>();
    String deviceName;
    try (Device dev = options.openDevice(); CpuDevice ref = options.openReference()) {
      deviceName = dev.info().name();
      w.printf(Locale.ROOT, "gpucheck kernels on %s (%s) against %s, tolerance %.1e relative%n", options.spec(),
          deviceName, ref.info().name(), tolerance);
      SplittableRandom root = new SplittableRandom(options.seed);
      for (KernelCase c : KernelCases.all()) {
        Outcome o = check(dev, ref, c, root.split(), tolerance);
        outcomes.add(o);
        w.printf(Locale.ROOT, "  %-4s %-58s %-28s max abs %.2e rel %.2e%s%n", o.passed() ? "ok" : "FAIL", c.name(),
            c.cudaKernel(), o.error().maxAbs(), o.error().maxRel(), o.failure() == null ? "" : "  " + o.failure());
        w.flush();
      }
    }
    boolean passed = outcomes.stream().allMatch(Outcome::passed);
    Files.writeString(options.out, toJson(options.spec().toString(), deviceName, tolerance, outcomes),
        StandardCharsets.UTF_8);
    w.printf(Locale.ROOT, "%d of %d cases passed; wrote %s%n", outcomes.stream().filter(Outcome::passed).count(),
        outcomes.size(), options.out);
    return passed ? 0 : 1;
  }

  /** Runs {@code c} on both devices; any exception becomes a failed outcome naming it. */
  static Outcome check(Device dev, CpuDevice ref, KernelCase c, SplittableRandom rnd, double tolerance) {
    List<List<float[]>> inputs = new ArrayList<>();
    for (Kernel k : c.problems()) {
      List<float[]> args = new ArrayList<>();
      for (int a = 0; a < k.argNames().size() - k.outputCount(); a++) {
        args.add(KernelCase.inputs(k, a, rnd));
      }
      inputs.add(args);
    }
    List<float[]> expected;
    try (Launcher l = new Launcher(ref)) {
      // the reference runs each problem alone: the grouped path is what is under test
      expected = new ArrayList<>();
      for (int p = 0; p < c.problems().size(); p++) {
        Launcher.Prepared prep = l.prepare(List.of(c.problems().get(p)), false);
        l.upload(prep, List.of(inputs.get(p)));
        l.launch(prep);
        expected.add(l.outputs(prep).get(0));
      }
    } catch (Exception e) {
      return new Outcome(c, ErrorStats.ZERO, "the CPU reference failed: " + e, false);
    }
    try (Launcher l = new Launcher(dev)) {
      Launcher.Prepared prep = l.prepare(c.problems(), c.grouped());
      l.upload(prep, inputs);
      l.launch(prep);
      List<float[]> got = l.outputs(prep);
      ErrorStats err = ErrorStats.ZERO;
      for (int p = 0; p < got.size(); p++) {
        err = err.merge(ErrorStats.of(got.get(p), expected.get(p)));
      }
      return new Outcome(c, err, null, err.within(tolerance));
    } catch (Exception e) {
      return new Outcome(c, ErrorStats.ZERO, String.valueOf(e), false);
    }
  }

  static String toJson(String device, String deviceName, double tolerance, List<Outcome> outcomes) {
    TreeSet<String> covered = new TreeSet<>();
    StringJoiner cases = new StringJoiner(",\n", "[\n", "\n  ]");
    for (Outcome o : outcomes) {
      KernelCase c = o.kase();
      covered.addAll(c.cudaKernels());
      long flops = c.problems().stream().mapToLong(Kernel::flops).sum();
      cases.add(String.format(Locale.ROOT, "    {\"name\": %s, \"kind\": %s, \"cuda_kernel\": %s, \"grouped\": %s,"
              + " \"problems\": %d, \"flops\": %d, \"elements\": %d, \"max_abs\": %s, \"max_rel\": %s, \"pass\": %s,"
              + " \"error\": %s}",
          Json.quote(c.name()), Json.quote(c.kind()), Json.quote(c.cudaKernel()), c.grouped(), c.problems().size(),
          flops, o.error().elements(), Json.num(o.error().maxAbs()), Json.num(o.error().maxRel()), o.passed(),
          o.failure() == null ? "null" : Json.quote(o.failure())));
    }
    TreeSet<String> notCovered = new TreeSet<>(KernelManifest.load().kernels());
    notCovered.removeAll(covered);
    StringJoiner cov = new StringJoiner(", ", "[", "]");
    covered.forEach(k -> cov.add(Json.quote(k)));
    StringJoiner not = new StringJoiner(", ", "[", "]");
    notCovered.forEach(k -> not.add(Json.quote(k)));
    return "{\n  \"check\": \"kernels\",\n  \"device\": " + Json.quote(device) + ",\n  \"device_name\": "
        + Json.quote(deviceName) + ",\n  \"reference\": \"cpu\",\n  \"tolerance_rel\": " + Json.num(tolerance)
        + ",\n  \"passed\": " + outcomes.stream().allMatch(Outcome::passed) + ",\n  \"cuda_kernels_covered\": " + cov
        + ",\n  \"cuda_kernels_not_reachable\": " + not
        + ",\n  \"cases\": " + cases + "\n}\n";
  }
}
