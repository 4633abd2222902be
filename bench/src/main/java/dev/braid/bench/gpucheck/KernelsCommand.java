package dev.braid.bench.gpucheck;

import dev.braid.bench.Json;
import dev.braid.device.Device;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.cuda.KernelManifest;
import dev.braid.device.kernel.Kernel;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 *
 * <p>With {@code --isolate} the cases run in child JVMs ({@link IsolatedKernels}): a case whose
 * process crashed, hung past {@code --case-timeout} or met an error of the device under test is
 * recorded as faulted ({@code "fault"} in its JSON entry) and the next case runs in a fresh
 * process, so one sticky CUDA error fails one case, not every case after it. {@code --from} and
 * {@code --to} select a range of cases (the random inputs of case {@code i} are the same whatever
 * the range); {@code --journal} is the child's side of the protocol ({@link CaseJournal}).
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

  /** A journaling child exits with this after a device error, asking for a fresh process for the next case. */
  static final int RESTART_EXIT_CODE = 3;

  @Spec CommandSpec spec;
  @Mixin CheckOptions options;

  @Option(names = "--tolerance", description = "Largest passing error, relative to the reference's largest"
      + " magnitude (default: ${DEFAULT-VALUE}).")
  double tolerance = DEFAULT_TOLERANCE;

  @Option(names = "--from", description = "First case to run, counting from 0 (default: ${DEFAULT-VALUE}).")
  int from = 0;

  @Option(names = "--to", description = "Case to stop before (default: every case).")
  Integer to;

  @Option(names = "--isolate", description = "Run the cases in child processes; a case that crashes, hangs or"
      + " meets a device error is recorded as faulted and the next runs in a fresh process.")
  boolean isolate;

  @Option(names = "--case-timeout", description = "With --isolate: seconds a child may go without finishing a"
      + " case before it is killed as hung (default: ${DEFAULT-VALUE}).")
  int caseTimeoutSeconds = 60;

  @Option(names = "--journal", hidden = true, description = "Child mode: append progress to this file and exit"
      + " with code " + RESTART_EXIT_CODE + " after a device error.")
  Path journal;

  @Option(names = "--inject-crash", hidden = true, description = "Test hook: the process halts (exit code 134)"
      + " when it starts this case, as a driver crash would end it.")
  Integer injectCrash;

  @Option(names = "--inject-hang", hidden = true, description = "Test hook: the process sleeps forever when it"
      + " starts this case, as a hung kernel would leave it.")
  Integer injectHang;

  /** One case's outcome; {@code fault} says why its process was replaced after it, null when it was not. */
  record Outcome(KernelCase kase, ErrorStats error, String failure, boolean passed, boolean deviceError, String fault) {
    Outcome(KernelCase kase, ErrorStats error, String failure, boolean passed) {
      this(kase, error, failure, passed, false, null);
    }

    Outcome withFault(String why) {
      return new Outcome(kase, error, failure, passed, deviceError, why);
    }
  }

  /** The entry point of a child process: this command alone, without the rest of the CLI. */
  public static void main(String[] args) {
    System.exit(new picocli.CommandLine(new KernelsCommand()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException("--tolerance: expected a number >= 0, got " + tolerance);
    }
    List<KernelCase> all = KernelCases.all();
    int end = to == null ? all.size() : to;
    if (from < 0 || end > all.size() || from >= end) {
      throw new IllegalArgumentException("--from " + from + " --to " + end + ": expected 0 <= from < to <= "
          + all.size() + " (the number of cases)");
    }
    if (caseTimeoutSeconds < 1) {
      throw new IllegalArgumentException("--case-timeout: expected seconds >= 1, got " + caseTimeoutSeconds);
    }
    options.createParent();
    PrintWriter w = spec.commandLine().getOut();
    List<Outcome> outcomes;
    String deviceName;
    int processes = 1;
    if (isolate) {
      IsolatedKernels.Result r = runIsolated(all, end, w);
      processes = r.processes();
      outcomes = outcomes(all, from, end, r);
      deviceName = r.deviceName() == null ? "(the device never opened)" : r.deviceName();
    } else {
      outcomes = new ArrayList<>();
      deviceName = runHere(all, end, w, outcomes);
      if (deviceName == null) {
        return RESTART_EXIT_CODE;
      }
    }
    boolean passed = outcomes.stream().allMatch(Outcome::passed);
    Files.writeString(options.out, toJson(options.spec().toString(), deviceName, tolerance, outcomes, processes),
        StandardCharsets.UTF_8);
    w.printf(Locale.ROOT, "%d of %d cases passed (%d faulted, %d process%s); wrote %s%n",
        outcomes.stream().filter(Outcome::passed).count(), outcomes.size(),
        outcomes.stream().filter(o -> o.fault() != null).count(), processes, processes == 1 ? "" : "es", options.out);
    return passed ? 0 : 1;
  }

  /**
   * Runs cases {@code [from, end)} in this process, appending them to {@code out}. Returns the
   * device's name, or null when a journaling child stopped after a device error to be replaced.
   */
  private String runHere(List<KernelCase> all, int end, PrintWriter w, List<Outcome> out) throws Exception {
    String deviceName;
    try (Device dev = options.openDevice(); CpuDevice ref = options.openReference()) {
      deviceName = dev.info().name();
      if (journal != null) {
        CaseJournal.append(journal, CaseJournal.deviceLine(deviceName));
      }
      w.printf(Locale.ROOT, "gpucheck kernels %d to %d on %s (%s) against %s, tolerance %.1e relative%n", from, end - 1,
          options.spec(), deviceName, ref.info().name(), tolerance);
      SplittableRandom root = new SplittableRandom(options.seed);
      for (int i = 0; i < from; i++) {
        root.split(); // case i's inputs are the same whatever --from says
      }
      for (int i = from; i < end; i++) {
        KernelCase c = all.get(i);
        if (journal != null) {
          CaseJournal.append(journal, CaseJournal.startLine(i));
        }
        injectFaults(i);
        Outcome o = check(dev, ref, c, root.split(), tolerance);
        out.add(o);
        w.printf(Locale.ROOT, "  %-4s %-58s %-28s max abs %.2e rel %.2e%s%n", o.passed() ? "ok" : "FAIL", c.name(),
            c.cudaKernel(), o.error().maxAbs(), o.error().maxRel(), o.failure() == null ? "" : "  " + o.failure());
        w.flush();
        if (journal != null) {
          CaseJournal.append(journal, CaseJournal.doneLine(
              new CaseJournal.Done(i, o.error(), o.passed(), o.deviceError(), o.failure())));
          if (o.deviceError() && i < end - 1) {
            w.printf(Locale.ROOT, "  the device under test failed in case %d; stopping so that case %d runs in a fresh"
                + " process%n", i, i + 1);
            return null;
          }
        }
      }
    }
    return deviceName;
  }

  private void injectFaults(int index) throws InterruptedException {
    if (injectCrash != null && injectCrash == index) {
      Runtime.getRuntime().halt(134);
    }
    if (injectHang != null && injectHang == index) {
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  private IsolatedKernels.Result runIsolated(List<KernelCase> all, int end, PrintWriter w) throws Exception {
    Path dir = Files.createTempDirectory("braid-kernels-");
    w.printf(Locale.ROOT, "gpucheck kernels %d to %d on %s, each fault restarting from the next case in a fresh"
        + " process (case timeout %d s)%n", from, end - 1, options.spec(), caseTimeoutSeconds);
    w.flush();
    try {
      return new IsolatedKernels(this::startChild, Duration.ofSeconds(caseTimeoutSeconds), Duration.ofMillis(200), w)
          .run(from, end, dir);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** A child JVM with this JVM's options and class path, running {@link #main} over {@code [childFrom, childTo)}. */
  private Process startChild(int childFrom, int childTo, Path childJournal) throws java.io.IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelsCommand.class.getName(),
        "--device", options.device, "--out", childJournal.resolveSibling(childJournal.getFileName() + ".json").toString(),
        "--seed", Long.toString(options.seed), "--tolerance", Double.toString(tolerance),
        "--from", Integer.toString(childFrom), "--to", Integer.toString(childTo), "--journal", childJournal.toString()));
    if (options.threads != null) {
      cmd.addAll(List.of("--threads", options.threads.toString()));
    }
    if (injectCrash != null) {
      cmd.addAll(List.of("--inject-crash", injectCrash.toString()));
    }
    if (injectHang != null) {
      cmd.addAll(List.of("--inject-hang", injectHang.toString()));
    }
    return new ProcessBuilder(cmd).inheritIO().start();
  }

  /** The outcome of every case of {@code [from, end)}: as a child recorded it, or failed as its fault says. */
  static List<Outcome> outcomes(List<KernelCase> all, int from, int end, IsolatedKernels.Result r) {
    java.util.Map<Integer, String> faults = new java.util.HashMap<>();
    r.faults().forEach(f -> faults.merge(f.index(), f.why(), (a, b) -> a + "; " + b));
    List<Outcome> out = new ArrayList<>();
    for (int i = from; i < end; i++) {
      CaseJournal.Done d = r.done().get(i);
      String fault = faults.get(i);
      Outcome o = d == null
          ? new Outcome(all.get(i), ErrorStats.ZERO, fault == null ? "no result recorded" : fault, false)
          : new Outcome(all.get(i), d.error(), d.failure(), d.passed(), d.deviceError(), null);
      out.add(fault == null ? o : o.withFault(fault));
    }
    return out;
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
    try (KernelRunner l = new KernelRunner(ref)) {
      // the reference runs each problem alone: the grouped path is what is under test
      expected = new ArrayList<>();
      for (int p = 0; p < c.problems().size(); p++) {
        KernelRunner.Prepared prep = l.prepare(List.of(c.problems().get(p)), false);
        l.upload(prep, List.of(inputs.get(p)));
        l.launch(prep);
        expected.add(l.outputs(prep).get(0));
      }
    } catch (Exception e) {
      return new Outcome(c, ErrorStats.ZERO, "the CPU reference failed: " + e, false);
    }
    try (KernelRunner l = new KernelRunner(dev)) {
      KernelRunner.Prepared prep = l.prepare(c.problems(), c.grouped());
      l.upload(prep, inputs);
      l.launch(prep);
      List<float[]> got = l.outputs(prep);
      ErrorStats err = ErrorStats.ZERO;
      for (int p = 0; p < got.size(); p++) {
        err = err.merge(ErrorStats.of(got.get(p), expected.get(p)));
      }
      return new Outcome(c, err, null, err.within(tolerance));
    } catch (Exception e) {
      return new Outcome(c, ErrorStats.ZERO, String.valueOf(e), false, true, null);
    }
  }

  static String toJson(String device, String deviceName, double tolerance, List<Outcome> outcomes) {
    return toJson(device, deviceName, tolerance, outcomes, 1);
  }

  static String toJson(String device, String deviceName, double tolerance, List<Outcome> outcomes, int processes) {
    TreeSet<String> covered = new TreeSet<>();
    StringJoiner cases = new StringJoiner(",\n", "[\n", "\n  ]");
    for (Outcome o : outcomes) {
      KernelCase c = o.kase();
      covered.addAll(c.cudaKernels());
      long flops = c.problems().stream().mapToLong(Kernel::flops).sum();
      cases.add(String.format(Locale.ROOT, "    {\"name\": %s, \"kind\": %s, \"cuda_kernel\": %s, \"grouped\": %s,"
              + " \"problems\": %d, \"flops\": %d, \"elements\": %d, \"max_abs\": %s, \"max_rel\": %s, \"pass\": %s,"
              + " \"error\": %s, \"fault\": %s}",
          Json.quote(c.name()), Json.quote(c.kind()), Json.quote(c.cudaKernel()), c.grouped(), c.problems().size(),
          flops, o.error().elements(), Json.num(o.error().maxAbs()), Json.num(o.error().maxRel()), o.passed(),
          o.failure() == null ? "null" : Json.quote(o.failure()), o.fault() == null ? "null" : Json.quote(o.fault())));
    }
    TreeSet<String> notCovered = new TreeSet<>(KernelManifest.load().kernels());
    notCovered.removeAll(covered);
    StringJoiner cov = new StringJoiner(", ", "[", "]");
    covered.forEach(k -> cov.add(Json.quote(k)));
    StringJoiner faulted = new StringJoiner(", ", "[", "]");
    outcomes.stream().filter(o -> o.fault() != null).forEach(o -> faulted.add(Json.quote(o.kase().name())));
    StringJoiner not = new StringJoiner(", ", "[", "]");
    notCovered.forEach(k -> not.add(Json.quote(k)));
    return "{\n  \"check\": \"kernels\",\n  \"device\": " + Json.quote(device) + ",\n  \"device_name\": "
        + Json.quote(deviceName) + ",\n  \"reference\": \"cpu\",\n  \"tolerance_rel\": " + Json.num(tolerance)
        + ",\n  \"passed\": " + outcomes.stream().allMatch(Outcome::passed) + ",\n  \"cuda_kernels_covered\": " + cov
        + ",\n  \"cuda_kernels_not_reachable\": " + not
        + ",\n  \"processes\": " + processes + ",\n  \"faulted_cases\": " + faulted
        + ",\n  \"cases\": " + cases + "\n}\n";
  }
}
