package dev.braid.device.cpu;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceInfo;
import dev.braid.device.DeviceStream;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Unary;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.repo.ModelRepository;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where a zoo model's time goes on the CPU device, per kernel kind: every launch runs to completion
 * before the next (so each is timed alone) and is charged to a label such as {@code Conv2d dw 3x3/2}
 * or {@code Binary ADD}. Not a test: run it with
 * {@code java --add-modules jdk.incubator.vector -cp native/target/test-classes:native/target/classes:<deps>
 * dev.braid.device.cpu.CpuModelProfile <repo> <model> [threads] [runs]}.
 */
public final class CpuModelProfile {
  /** -Dprofile.detail=true: labels carry the convolution's channels and input size. */
  private static final boolean DETAIL = Boolean.getBoolean("profile.detail");

  private CpuModelProfile() {}

  public static void main(String[] argv) throws Exception {
    Path repo = Path.of(argv[0]);
    int threads = argv.length > 2 ? Integer.parseInt(argv[2]) : 2;
    int runs = argv.length > 3 ? Integer.parseInt(argv[3]) : 20;
    for (String name : argv[1].split(",")) {
      ModelGraph graph = ModelRepository.open(repo).load(name).latest().bind(1);
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      Random rnd = new Random(1);
      for (ValueInfo in : graph.inputs()) {
        int n = in.shape().size();
        if (in.dtype().isFloating()) {
          inputs.put(in.name(), Tensor.ofFloats(in.dtype(), in.shape(), Harness.random(rnd, n)));
        } else {
          long[] d = new long[n];
          for (int i = 0; i < n; i++) {
            d[i] = rnd.nextInt(10);
          }
          inputs.put(in.name(), Tensor.ofLongs(in.dtype(), in.shape(), d));
        }
      }
      try (CpuDevice cpu = new CpuDevice(threads)) {
        Timing dev = new Timing(cpu);
        if (Boolean.getBoolean("profile.async")) {
          // Whole runs as a server would issue them (every launch queued at once): for a sampling
          // profiler such as JFR, and for the unserialised latency.
          try (CompiledModel m = ModelExecutor.compile(graph, cpu)) {
            StringBuilder first = new StringBuilder();
            for (int i = 0; i < 25; i++) {
              long t0 = System.nanoTime();
              m.run(inputs).toCompletableFuture().get();
              first.append(String.format(Locale.ROOT, " %.1f", (System.nanoTime() - t0) / 1e6));
            }
            System.out.println(name + ": first runs (ms):" + first);
            long[] t = new long[runs];
            for (int i = 0; i < runs; i++) {
              long t0 = System.nanoTime();
              m.run(inputs).toCompletableFuture().get();
              t[i] = System.nanoTime() - t0;
            }
            java.util.Arrays.sort(t);
            System.out.printf(Locale.ROOT, "%s: median %.3f ms over %d runs%n", name, t[runs / 2] / 1e6, runs);
          }
          continue;
        }
        try (CompiledModel m = ModelExecutor.compile(graph, dev)) {
          for (int i = 0; i < 5; i++) {
            m.run(inputs).toCompletableFuture().get();
          }
          dev.nanos.clear();
          dev.counts.clear();
          long t0 = System.nanoTime();
          for (int i = 0; i < runs; i++) {
            m.run(inputs).toCompletableFuture().get();
          }
          double total = (System.nanoTime() - t0) / 1e6 / runs;
          double kernels = dev.nanos.values().stream().mapToLong(Long::longValue).sum() / 1e6 / runs;
          System.out.printf(Locale.ROOT, "%s: %.3f ms per run (serialised), %.3f ms in %d launches%n", name, total,
              kernels, dev.counts.values().stream().mapToInt(Integer::intValue).sum() / runs);
          dev.nanos.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).forEach(e ->
              System.out.printf(Locale.ROOT, "  %-28s %8.3f ms %5.1f%%  x%d%n", e.getKey(), e.getValue() / 1e6 / runs,
                  100.0 * e.getValue() / 1e6 / runs / kernels, dev.counts.get(e.getKey()) / runs));
        }
      }
    }
  }

  static String label(Kernel k) {
    if (k instanceof Conv2d c) {
      String kind = c.isDepthwise() ? "dw" : c.kernelH() == 1 && c.kernelW() == 1 ? "1x1" : "";
      return "Conv2d " + kind + " " + c.kernelH() + "x" + c.kernelW() + "/" + c.strideH()
          + (DETAIL ? " " + c.c() + "->" + c.k() + " @" + c.h() : "");
    }
    if (k instanceof Unary u) {
      return "Unary " + u.op();
    }
    if (k instanceof Binary b) {
      return "Binary " + b.op() + (b.a().equals(b.b()) ? "" : " bcast") + (DETAIL ? " " + b.a() + b.b() : "");
    }
    if (k instanceof Gemm g) {
      return "Gemm" + (g.batch() > 1 ? " batched" : "") + (g.transA() || g.transB() ? " T" : "");
    }
    return k.getClass().getSimpleName();
  }

  /** Delegates to a device, running each launch synchronously and charging its time to its label. */
  static final class Timing implements Device {
    final Device d;
    final Map<String, Long> nanos = new HashMap<>();
    final Map<String, Integer> counts = new HashMap<>();

    Timing(Device d) {
      this.d = d;
    }

    @Override public DeviceInfo info() { return d.info(); }
    @Override public DeviceBuffer allocate(long bytes) { return d.allocate(bytes); }
    @Override public void free(DeviceBuffer buffer) { d.free(buffer); }
    @Override public long allocatedBytes() { return d.allocatedBytes(); }
    @Override public CompletionStage<Void> upload(float[] src, BufferSlice dst, DeviceStream stream) {
      return d.upload(src, dst, stream);
    }
    @Override public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
      return d.download(src, stream);
    }
    @Override public DeviceStream createStream(int priority) { return d.createStream(priority); }
    @Override public DeviceStream defaultStream() { return d.defaultStream(); }
    @Override public void close() { d.close(); }

    @Override
    public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
      String label = launch instanceof KernelLaunch k ? label(k.kernel()) : "grouped";
      long t0 = System.nanoTime();
      d.launch(launch, stream).toCompletableFuture().join();
      nanos.merge(label, System.nanoTime() - t0, Long::sum);
      counts.merge(label, 1, Integer::sum);
      return CompletableFuture.completedFuture(null);
    }
  }
}
