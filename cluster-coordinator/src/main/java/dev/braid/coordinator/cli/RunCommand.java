package dev.braid.coordinator.cli;

import dev.braid.config.DeviceSpec;
import dev.braid.time.NanoClock;
import dev.braid.config.RuntimeSettings;
import dev.braid.device.Device;
import dev.braid.device.DeviceException;
import dev.braid.device.Devices;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.device.trace.TraceRecorder;
import dev.braid.device.trace.TracingDevice;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid run}: loads one model from a repository, runs it on a device at one batch size
 * with seeded random inputs, and prints each output's shape, its top-5 entries and the latency.
 * Without {@code --repo} it uses the embedded default: the model zoo, generated on first use
 * under the build directory.
 *
 * <p>On a simulated GPU ({@code sim-<gpu>}) the run is driven in virtual time: the outputs are
 * computed on the CPU device behind the simulation and the latency printed is the simulator's
 * prediction for that GPU, not the time the host took.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Run one model on a device and print its outputs' shapes, top-5 entries and latency.")
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ZooRepoOption repo;

  @Option(names = "--model", description = "Model name in the repository (default: ${DEFAULT-VALUE}).")
  String model = "resnet18";

  @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch = 1;

  @Option(names = "--device", description = "auto, cpu, cuda[:N] or sim-<gpu> (default: braid.runtime.device, 'auto').")
  String device;

  @Mixin CpuThreadsOption threads;

  @Option(names = "--iterations", description = "Timed runs after warm-up (default: ${DEFAULT-VALUE}).")
  int iterations = 10;

  @Option(names = "--warmup", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
  int warmup = 2;

  @Option(names = "--seed", description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Mixin TraceOptions trace;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    requireAtLeast("--batch", batch, 1);
    requireAtLeast("--iterations", iterations, 1);
    requireAtLeast("--warmup", warmup, 0);
    RuntimeSettings settings = RuntimeSettings.load();
    DeviceSpec deviceSpec = device == null ? settings.device() : DeviceSpec.parse("--device", device);
    int cpuThreads = threads.orElse(settings::cpuThreads);
    TraceRecorder recorder = trace.recorder();

    Path repoDir = repo.orZoo(out);
    RepositoryModel loaded = ModelRepository.open(repoDir).load(model);
    int maxBatch = loaded.config().maxBatchSize();
    if (maxBatch > 0 && batch > maxBatch) {
      throw new IllegalArgumentException(
          "--batch: expected at most max_batch_size " + maxBatch + " of model '" + model + "', got " + batch);
    }
    if (maxBatch == 0 && batch != 1) {
      throw new IllegalArgumentException("--batch: model '" + model + "' does not batch (max_batch_size 0) and runs"
          + " at its declared shapes; expected 1, got " + batch);
    }
    dev.braid.model.fold.Specialization special = ServeCheck.specialization(loaded);
    if (!special.isEmpty()) {
      // Binding would refuse it as "must be a constant", while models list and serve take it.
      throw new IllegalArgumentException("--model: model '" + model + "' specializes on inputs " + special.names()
          + " (their values define its shapes), which run cannot choose; expected a model without such inputs, or"
          + " serve it and send those values with braid infer --input NAME=FILE");
    }
    ModelGraph graph = loaded.bind(batch);

    Device opened = Devices.open("--device", deviceSpec, cpuThreads);
    SimulatedDevice sim = null;
    if (opened instanceof SimulatedDevice timingOnly) {
      // Devices opens simulations timing-only (zeros out); a run shows outputs, so compute them.
      opened.close();
      sim = new SimulatedDevice(timingOnly.profile(), SimulatedDevice.Compute.REAL);
      opened = sim;
    }
    NanoClock clock = sim == null ? NanoClock.system() : sim.clock();
    TracingDevice traced = recorder == null ? null : new TracingDevice(opened, recorder, opened.info().name(), clock);
    try (Device dev = traced == null ? opened : traced;
        CompiledModel compiled = ModelExecutor.compile(graph, dev)) {
      out.printf("model %s (version %d) from %s on %s, batch %d%n",
          model, loaded.latestVersion(), repoDir, dev.info().name(), batch);
      Map<String, Tensor> inputs = RandomInputs.forGraph(graph, seed);
      for (ValueInfo in : graph.inputs()) {
        out.printf("  input  %-12s %s %s%n", in.name(), in.dtype().onnxName(), in.shape());
      }

      long firstNanos = 0;
      Map<String, Tensor> outputs = null;
      for (int i = 0; i < warmup; i++) {
        if (traced != null) {
          traced.context(model, i);
        }
        long t0 = clock.nanoTime();
        outputs = await(compiled.run(inputs), sim);
        if (i == 0) {
          firstNanos = clock.nanoTime() - t0;
        }
      }
      long[] timed = new long[iterations];
      for (int i = 0; i < iterations; i++) {
        if (traced != null) {
          traced.context(model, warmup + i);
        }
        long t0 = clock.nanoTime();
        outputs = await(compiled.run(inputs), sim);
        timed[i] = clock.nanoTime() - t0;
      }
      if (warmup == 0) {
        firstNanos = timed[0];
      }

      for (ValueInfo o : graph.outputs()) {
        Tensor t = outputs.get(o.name());
        out.printf("  output %-12s %s %s%n", o.name(), o.dtype().onnxName(), t.shape());
        out.printf("    top-5 of batch item 0: %s%n", TopK.describe(t, 5));
      }
      Arrays.sort(timed);
      out.printf("%s: first run %s; over %d runs median %s, min %s, max %s%n",
          sim == null ? "latency" : "simulated latency (virtual time)", Units.millis(firstNanos), iterations, Units.millis(timed[iterations / 2]),
          Units.millis(timed[0]), Units.millis(timed[iterations - 1]));
    }
    if (recorder != null) {
      out.println(trace.write(recorder));
    }
    return 0;
  }

  /**
   * The run's outputs. A simulated device does nothing until driven: its virtual time is stepped
   * until nothing is pending, by which point the run must have ended.
   */
  private static Map<String, Tensor> await(CompletionStage<Map<String, Tensor>> run, SimulatedDevice sim)
      throws Exception {
    CompletableFuture<Map<String, Tensor>> f = run.toCompletableFuture();
    if (sim != null) {
      sim.runUntilIdle();
      if (!f.isDone()) {
        throw new IllegalStateException("the simulated device went idle at " + sim.clock().nanoTime()
            + " ns with the model's run unfinished");
      }
    }
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
      if (cause instanceof DeviceException d && d.reason() == DeviceException.Reason.INVALID_DATA) {
        // Random values where the model wants indices (a Gather's, a OneHot's): the inputs' fault.
        throw new IllegalArgumentException("--seed: the seeded random inputs are not data this model can take ("
            + d.getMessage() + "); run cannot choose valid values: serve the model and send real inputs with"
            + " braid infer --input NAME=FILE", d);
      }
      throw cause instanceof Exception x ? x : e;
    }
  }

  private static int requireAtLeast(String flag, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(flag + ": expected an integer >= " + min + ", got " + value);
    }
    return value;
  }
}
