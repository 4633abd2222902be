package dev.braid.device.cpu;

import dev.braid.device.DeviceBuffer;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Kernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A JMH-free latency harness for the CPU device's GEMM and convolution at the shapes of the zoo's
 * models (batch 1). It drives only the public Device API, so the same class can run against an
 * older build of the device (put that build's jar first on the class path) for a before/after
 * comparison. Not a test: run it with
 * {@code java -cp native/target/test-classes:native/target/classes:<deps> dev.braid.device.cpu.CpuKernelBench [threads] [rounds]}.
 * Prints one line per shape: the median over rounds of the mean launch time, in microseconds.
 */
public final class CpuKernelBench {
  private CpuKernelBench() {}

  static Map<String, Kernel> shapes() {
    Map<String, Kernel> s = new LinkedHashMap<>();
    s.put("conv stem 7x7/2 3->64 @224", conv(3, 224, 64, 7, 2, 3, 1, true));
    s.put("conv 3x3 64->64 @56", conv(64, 56, 64, 3, 1, 1, 1, true));
    s.put("conv 3x3/2 64->128 @56", conv(64, 56, 128, 3, 2, 1, 1, true));
    s.put("conv 3x3 128->128 @28", conv(128, 28, 128, 3, 1, 1, 1, true));
    s.put("conv 3x3 256->256 @14", conv(256, 14, 256, 3, 1, 1, 1, true));
    s.put("conv 3x3 512->512 @7", conv(512, 7, 512, 3, 1, 1, 1, true));
    s.put("conv 1x1/2 64->128 @56", conv(64, 56, 128, 1, 2, 0, 1, false));
    s.put("mbv2 1x1 24->144 @56", conv(24, 56, 144, 1, 1, 0, 1, true));
    s.put("mbv2 1x1 144->24 @56", conv(144, 56, 24, 1, 1, 0, 1, false));
    s.put("mbv2 1x1 96->576 @14", conv(96, 14, 576, 1, 1, 0, 1, true));
    s.put("mbv2 dw 3x3 144 @56", conv(144, 56, 144, 3, 1, 1, 144, true));
    s.put("mbv2 dw 3x3/2 144 @56", conv(144, 56, 144, 3, 2, 1, 144, true));
    s.put("mbv2 dw 3x3 576 @14", conv(576, 14, 576, 3, 1, 1, 576, true));
    s.put("gemm 1x1024x1024 (mlp)", Gemm.of(1, 1024, 1024));
    s.put("gemm 64x256x256 (bert)", Gemm.of(64, 256, 256));
    s.put("gemm 64x1024x256 (bert)", Gemm.of(64, 1024, 256));
    s.put("gemm 64x256x1024 (bert)", Gemm.of(64, 256, 1024));
    return s;
  }

  private static Conv2d conv(int c, int hw, int k, int kernel, int stride, int pad, int groups, boolean relu) {
    return new Conv2d(1, c, hw, hw, k, kernel, kernel, stride, stride, pad, pad, pad, pad, 1, 1, groups, true,
        relu ? Activation.RELU : Activation.NONE);
  }

  private static CpuDevice shared;

  /** The shape names, in order (for a driver that compares two builds in one JVM). */
  public static List<String> names() {
    return new ArrayList<>(shapes().keySet());
  }

  /** One launch of shape {@code name} on a shared device of {@code threads}, ready to run and wait. */
  public static Runnable prepare(int threads, String name) {
    if (shared == null) {
      shared = new CpuDevice(threads);
    }
    CpuDevice dev = shared;
    Kernel k = shapes().get(name);
    Random rnd = new Random(1);
    int inputs = k.argNames().size() - 1;
    float[][] in = new float[inputs][];
    for (int i = 0; i < inputs; i++) {
      in[i] = Harness.random(rnd, (int) (k.argBytes(i) / 4));
    }
    KernelLaunch launch = Harness.prepare(dev, k, new ArrayList<>(), in);
    return () -> dev.launch(launch, dev.defaultStream()).toCompletableFuture().join();
  }

  public static void main(String[] argv) {
    int threads = argv.length > 0 ? Integer.parseInt(argv[0]) : 2;
    int rounds = argv.length > 1 ? Integer.parseInt(argv[1]) : 5;
    String only = argv.length > 2 ? argv[2] : "";
    try (CpuDevice dev = new CpuDevice(threads)) {
      Random rnd = new Random(1);
      for (Map.Entry<String, Kernel> e : shapes().entrySet()) {
        if (!e.getKey().contains(only)) {
          continue;
        }
        Kernel k = e.getValue();
        int inputs = k.argNames().size() - 1;
        float[][] in = new float[inputs][];
        for (int i = 0; i < inputs; i++) {
          in[i] = Harness.random(rnd, (int) (k.argBytes(i) / 4));
        }
        List<DeviceBuffer> owned = new ArrayList<>();
        KernelLaunch launch = Harness.prepare(dev, k, owned, in);
        // Calibrate: about 0.2 s per round.
        long t0 = System.nanoTime();
        int warm = 0;
        while (System.nanoTime() - t0 < 300_000_000L || warm < 3) {
          dev.launch(launch, dev.defaultStream()).toCompletableFuture().join();
          warm++;
        }
        double perLaunch = (System.nanoTime() - t0) / (double) warm;
        int reps = (int) Math.max(2, 200_000_000L / perLaunch);
        double[] us = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          long s = System.nanoTime();
          for (int i = 0; i < reps; i++) {
            dev.launch(launch, dev.defaultStream()).toCompletableFuture().join();
          }
          us[r] = (System.nanoTime() - s) / 1e3 / reps;
        }
        Arrays.sort(us);
        System.out.printf("%-28s %10.1f us%n", e.getKey(), us[rounds / 2]);
        for (DeviceBuffer b : owned) {
          dev.free(b);
        }
      }
    }
  }
}
