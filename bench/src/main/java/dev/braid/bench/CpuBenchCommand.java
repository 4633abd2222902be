package dev.braid.bench;

import dev.braid.config.RuntimeSettings;
import dev.braid.coordinator.cli.RandomInputs;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.repo.RepositoryModel;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench cpu}: per-model latency at one batch size on Braid's {@link CpuDevice} and on
 * ONNX Runtime's CPU provider, side by side in one run, with the same inputs and thread count.
 * Runs alternate between the two so that machine noise falls on both alike. The figure is a
 * ratio (Braid's median over ONNX Runtime's); it is tracked, not gated.
 */
@Command(
    name = "cpu",
    mixinStandardHelpOptions = true,
    description = "Latency of Braid's CPU device beside ONNX Runtime (CPU), per model, as a ratio.")
final class CpuBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--repo", required = true, description = "Model repository (Triton layout).")
  Path repo;

  @Option(names = "--models", split = ",", description = "Models to run (default: every model in the repository).")
  List<String> models;

  @Option(names = "--batch", description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batch = 1;

  @Option(names = "--threads", description = "Threads for both runtimes (default: braid.runtime.cpu-threads, one per core).")
  Integer threads;

  @Option(names = "--iterations", description = "Timed runs of each runtime, alternating (default: ${DEFAULT-VALUE}).")
  int iterations = 20;

  @Option(names = "--warmup", description = "Untimed runs of each first; the SIMD kernels need a few seconds of JIT warm-up (default: ${DEFAULT-VALUE}).")
  int warmup = 15;

  @Option(names = "--json", description = "Also write the results to this JSON file.")
  Path json;

  @Override
  public Integer call() throws Exception {
    if (batch < 1 || iterations < 1 || warmup < 0) {
      throw new IllegalArgumentException("--batch and --iterations: expected >= 1 and --warmup >= 0, got "
          + batch + ", " + iterations + ", " + warmup);
    }
    int n = threads == null ? RuntimeSettings.load().cpuThreads() : threads;
    if (n < 1) {
      throw new IllegalArgumentException("--threads: expected an integer >= 1, got " + n);
    }
    PrintWriter out = spec.commandLine().getOut();
    ModelRepository repository = ModelRepository.open(repo);
    List<String> names = models == null ? repository.models() : models;
    out.printf("bench cpu: batch %d, %d threads each, %d warm-up + %d timed runs, alternating%n",
        batch, n, warmup, iterations);
    out.printf("%-12s %12s %12s %10s %12s%n", "model", "braid ms", "onnxrt ms", "ratio", "max |diff|");

    List<CpuBenchResult> results = new ArrayList<>();
    try (CpuDevice device = new CpuDevice(n); OrtPeer ort = new OrtPeer(n)) {
      for (String name : names) {
        RepositoryModel model = repository.load(name);
        ModelGraph graph = model.latest().bind(batch);
        Map<String, Tensor> inputs = RandomInputs.forGraph(graph, 1);
        Path onnxFile = repository.root().resolve(name).resolve(Long.toString(model.latestVersion()))
            .resolve(model.config().defaultModelFilename());
        try (CompiledModel braid = ModelExecutor.compile(graph, device);
            OrtPeer.Session peer = ort.open(onnxFile)) {
          Map<String, Tensor> braidOut = null;
          Map<String, Tensor> ortOut = null;
          for (int i = 0; i < warmup; i++) {
            braidOut = braid.run(inputs).toCompletableFuture().get();
            ortOut = peer.run(inputs);
          }
          long[] braidNanos = new long[iterations];
          long[] ortNanos = new long[iterations];
          for (int i = 0; i < iterations; i++) {
            long t0 = System.nanoTime();
            braidOut = braid.run(inputs).toCompletableFuture().get();
            long t1 = System.nanoTime();
            ortOut = peer.run(inputs);
            long t2 = System.nanoTime();
            braidNanos[i] = t1 - t0;
            ortNanos[i] = t2 - t1;
          }
          CpuBenchResult r = CpuBenchResult.of(name, batch, n, braidNanos, ortNanos, Outputs.maxAbsDiff(braidOut, ortOut));
          results.add(r);
          out.printf(Locale.ROOT, "%-12s %12.3f %12.3f %9.2fx %12.3g%n", name, r.braidMedianMillis(),
              r.ortMedianMillis(), r.ratio(), r.maxAbsDiff());
        }
      }
    }
    out.println("ratio = Braid median / ONNX Runtime median (lower is better for Braid)");
    if (json != null) {
      Files.writeString(json, CpuBenchResult.toJson(results), StandardCharsets.UTF_8);
      out.println("wrote " + json);
    }
    return 0;
  }
}
