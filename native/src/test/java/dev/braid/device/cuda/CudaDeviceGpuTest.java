package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceKind;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every CUDA kernel and super-kernel against CpuDevice on seeded random inputs, on GPU 0. Needs a
 * GPU: run with {@code mvn -Dgroups=gpu -pl native -am test}; every build also runs it over the
 * emulated CUDA driver (the cuda-emulator executions of native/pom.xml, with and without
 * AddressSanitizer). Prints one line per case with the
 * largest absolute error and the largest error relative to {@code 1 + |cpu|}.
 *
 * <p>Tolerance, relative to {@code 1 + |cpu|}: 1e-5 for elementwise and layout kernels (CUDA's
 * float32 transcendental functions are within 2 ulp), 1e-4 for contractions and reductions
 * (float32 sums in a different order from the CPU's SIMD lanes or double accumulators).
 */
@Tag("gpu")
class CudaDeviceGpuTest {
  static CudaDevice gpu;
  static CpuDevice cpu;

  /** One comparison: problems (one, or several as a grouped launch), the tolerance, the inputs' range. */
  record Case(String name, List<Kernel> problems, boolean grouped, double tolerance, double lo, double hi) {
    static Case of(String name, Kernel k, double tol) {
      return new Case(name, List.of(k), false, tol, -1, 1);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void open() {
    if (CudaEmulator.requested()) {
      dev.braid.device.cuda.emu.EmulatorGate.require();
    }
    gpu = CudaDevice.open(0);
    cpu = new CpuDevice(2);
    System.out.println("GPU: " + gpu.info() + " streams " + java.util.Arrays.toString(gpu.streamPriorityRange()));
  }

  @AfterAll
  static void close() {
    if (gpu != null) {
      gpu.close();
    }
    if (cpu != null) {
      cpu.close();
    }
  }

  static final double EW = 1e-5, SUM = 1e-4;

  static Stream<Case> cases() {
    List<Case> c = new ArrayList<>();
    c.add(Case.of("gemm tiled 70x130x33", Gemm.of(70, 130, 33), SUM));
    c.add(Case.of("gemm tiled transA bias per column", Gemm.of(100, 64, 40, true, false, 0.5f, 2f, GemmBias.PER_COLUMN), SUM));
    c.add(Case.of("gemm tiled transB bias per row", Gemm.of(64, 90, 129, false, true, 1f, -1f, GemmBias.PER_ROW), SUM));
    c.add(Case.of("gemm tiled full bias", Gemm.of(65, 65, 300, false, false, 1f, 1f, GemmBias.FULL), SUM));
    c.add(Case.of("gemm batched shared B", new Gemm(3, 20, 65, 16, false, false, 1f, 1f, GemmBias.SCALAR,
        new int[] {0, 320, 640}, new int[] {0, 0, 0}), SUM));
    c.add(Case.of("gemm skinny 1x1000x512", Gemm.of(1, 1000, 512), SUM));
    c.add(Case.of("gemm skinny 300x3x77 transA transB bias", Gemm.of(300, 3, 77, true, true, 1f, 1f, GemmBias.PER_COLUMN), SUM));
    c.add(Case.of("conv 3x3 bias relu", new Conv2d(2, 8, 10, 12, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU), SUM));
    c.add(Case.of("conv 5x3 stride 2 dilation 2 groups 2 clip", new Conv2d(1, 6, 17, 15, 10, 5, 3, 2, 2, 2, 1, 0, 3, 2, 2, 2,
        true, Activation.clip(-0.5f, 0.5f)), SUM));
    c.add(Case.of("conv 1x1", Conv2d.simple(1, 64, 7, 7, 128, 1, 1, 0, 1), SUM));
    c.add(Case.of("conv depthwise 3x3 stride 2", Conv2d.simple(1, 32, 15, 15, 64, 3, 2, 1, 32), SUM));
    // A grouped launch takes problems of one fusion key: tiled GEMMs with dense convolutions, skinny
    // GEMMs and depthwise convolutions each form their own group (the emulated driver's first run found the
    // earlier mixed groups refused by GroupedLaunch).
    c.add(new Case("grouped gemm of 3 models", List.of(Gemm.of(70, 130, 33),
        new Gemm(2, 40, 64, 17, true, false, 0.5f, 2f, GemmBias.PER_ROW, new int[] {0, 680}, new int[] {0, 0}),
        Gemm.of(33, 20, 1, false, false, 2f, 3f, GemmBias.SCALAR)), true, SUM, -1, 1));
    c.add(new Case("grouped skinny gemm", List.of(Gemm.of(1, 1000, 64),
        new Gemm(2, 5, 64, 17, true, false, 0.5f, 2f, GemmBias.PER_ROW, new int[] {0, 85}, new int[] {0, 0}),
        Gemm.of(1, 1, 1, false, false, 2f, 3f, GemmBias.SCALAR)), true, SUM, -1, 1));
    c.add(new Case("grouped conv", List.of(Conv2d.simple(1, 16, 14, 14, 32, 3, 1, 1, 1),
        Conv2d.simple(2, 8, 7, 7, 100, 1, 1, 0, 2)), true, SUM, -1, 1));
    c.add(new Case("grouped gemms beside convs (one tiled class)", List.of(Conv2d.simple(1, 16, 14, 14, 32, 3, 1, 1, 1),
        Gemm.of(70, 130, 33), new Conv2d(1, 6, 17, 15, 10, 5, 3, 2, 2, 2, 1, 0, 3, 2, 2, 2, true, Activation.clip(-0.5f, 0.5f)),
        new Gemm(2, 40, 64, 17, true, false, 0.5f, 2f, GemmBias.PER_ROW, new int[] {0, 680}, new int[] {0, 0}),
        Conv2d.simple(2, 8, 7, 7, 100, 1, 1, 0, 2)), true, SUM, -1, 1));
    c.add(new Case("grouped depthwise conv", List.of(Conv2d.simple(1, 16, 14, 14, 16, 3, 1, 1, 16),
        Conv2d.simple(2, 8, 9, 9, 8, 3, 2, 1, 8)), true, SUM, -1, 1));
    for (UnaryOp op : UnaryOp.values()) {
      boolean sqrt = op == UnaryOp.SQRT;
      c.add(new Case("unary " + op, List.of(new Unary(op, 5000, -0.5f, 0.5f)), false, EW, sqrt ? 0.1 : -4, 4));
    }
    for (BinaryOp op : BinaryOp.values()) {
      boolean positive = op == BinaryOp.POW || op == BinaryOp.DIV;
      c.add(new Case("binary " + op + " broadcast", List.of(Binary.of(op, Shape.of(2, 3, 40), Shape.of(3, 1))), false,
          EW, positive ? 0.5 : -1, positive ? 2 : 1));
    }
    c.add(Case.of("batchnorm", new BatchNorm(2, 16, 49), EW));
    c.add(Case.of("copy", new Copy(3001), 0));
    c.add(Case.of("transpose 0231", new Transpose(Shape.of(2, 3, 5, 7), List.of(0, 2, 3, 1)), 0));
    c.add(Case.of("concat 3 axis 1", new Concat(List.of(Shape.of(2, 3, 5), Shape.of(2, 1, 5), Shape.of(2, 4, 5)), 1), 0));
    List<Shape> many = new ArrayList<>();
    for (int i = 0; i < 21; i++) {
      many.add(Shape.of(3, 1 + i % 3, 2));
    }
    c.add(Case.of("concat 21 inputs in rounds", new Concat(many, 1), 0));
    c.add(Case.of("gather axis 1", new Gather(Shape.of(4, 10, 3), 1, 5), 0));
    c.add(Case.of("maxpool 3x3 s2 p1", Pool2d.simple(Pool2d.PoolMode.MAX, 2, 8, 15, 15, 3, 2, 1), 0));
    c.add(Case.of("avgpool count pad", new Pool2d(Pool2d.PoolMode.AVERAGE, 2, 3, 9, 8, 3, 2, 2, 1, 1, 0, 1, 1, 1, 1, 5, 8, true), EW));
    c.add(Case.of("global average pool", new GlobalAveragePool(64, 49), SUM));
    c.add(Case.of("softmax last axis", new Softmax(6, 1000, 1), SUM));
    c.add(Case.of("softmax inner axis", new Softmax(2, 30, 7), SUM));
    c.add(Case.of("layernorm 768 bias", new LayerNorm(5, 768, 1e-5f, true), SUM));
    c.add(Case.of("layernorm 40 no bias", new LayerNorm(3, 40, 1e-5f, false), SUM));
    c.add(Case.of("reduce mean axes 1,3", new ReduceMean(Shape.of(2, 3, 4, 5), List.of(1, 3)), SUM));
    c.add(new Case("grouped rows with reductions and fibre ops", List.of(new Softmax(2, 30, 7),
        new Reduce(ReduceOp.L2, Shape.of(3, 50, 4), List.of(0, 2), false),
        new Reduce(ReduceOp.ARG_MIN, Shape.of(5, 300), List.of(1), false),
        new AlongAxis(AxisOp.LOG_SOFTMAX, 2, 40, 3, false), new AlongAxis(AxisOp.CUMSUM_REVERSE, 4, 9, 1, false),
        new ReduceMean(Shape.of(2, 3, 4, 5), List.of(1, 3))), true, SUM, -1, 1));
    return c.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesTheCpuDevice(Case c) throws Exception {
    float[][] inputs = inputs(c, new SplittableRandom(c.name().hashCode()));
    float[] want = run(cpu, c, inputs);
    float[] got = run(gpu, c, inputs);
    assertEquals(want.length, got.length);
    double maxAbs = 0, maxRel = 0;
    int worst = -1;
    for (int i = 0; i < want.length; i++) {
      double d = Math.abs((double) got[i] - want[i]);
      if (Float.isNaN(want[i]) != Float.isNaN(got[i])) {
        d = Double.POSITIVE_INFINITY;
      } else if (Float.isNaN(want[i])) {
        d = 0;
      }
      double rel = d / (1 + Math.abs(want[i]));
      maxAbs = Math.max(maxAbs, d);
      if (rel > maxRel) {
        maxRel = rel;
        worst = i;
      }
    }
    System.out.printf("kernel-error %-45s max abs %.3e  max rel %.3e  (%d outputs)%n", c.name(), maxAbs, maxRel, want.length);
    double limit = c.tolerance();
    int w = worst;
    assertTrue(maxRel <= limit, () -> c.name() + ": max error " + String.format("%.3e", 0.0 + Math.abs(got[w] - want[w]))
        + " at " + w + " (gpu " + got[w] + ", cpu " + want[w] + ") above " + limit);
    assertTrue(gpu.healthy());
  }

  /** Random inputs for every problem's input arguments, concatenated per problem and argument. */
  static float[][] inputs(Case c, SplittableRandom rnd) {
    List<float[]> all = new ArrayList<>();
    for (Kernel k : c.problems()) {
      int inputs = k.argNames().size() - k.outputCount();
      for (int i = 0; i < inputs; i++) {
        float[] x = new float[(int) (k.argBytes(i) / 4)];
        if (k instanceof Gather g && i == 1) {
          int d = g.data().dim(g.axis());
          for (int j = 0; j < x.length; j++) {
            x[j] = rnd.nextInt(-d, d);
          }
        } else {
          for (int j = 0; j < x.length; j++) {
            x[j] = (float) (c.lo() + rnd.nextDouble() * (c.hi() - c.lo()));
          }
        }
        all.add(x);
      }
    }
    return all.toArray(float[][]::new);
  }

  /** Uploads the inputs, runs the case on {@code d}, returns every problem's output concatenated. */
  static float[] run(Device d, Case c, float[][] inputs) throws Exception {
    DeviceStream s = d.createStream(-1);
    List<DeviceBuffer> buffers = new ArrayList<>();
    List<KernelLaunch> launches = new ArrayList<>();
    List<BufferSlice> outputs = new ArrayList<>();
    int next = 0;
    try {
      for (Kernel k : c.problems()) {
        List<BufferSlice> args = new ArrayList<>();
        for (int i = 0; i < k.argNames().size(); i++) {
          DeviceBuffer b = d.allocate(Math.max(4, k.argBytes(i)));
          buffers.add(b);
          args.add(b.whole());
          if (i < k.argNames().size() - k.outputCount()) {
            d.upload(inputs[next++], b.whole(), s).toCompletableFuture().get(30, TimeUnit.SECONDS);
          } else {
            d.upload(new float[(int) (b.sizeBytes() / 4)], b.whole(), s);
            outputs.add(b.slice(0, k.argBytes(i)));
          }
        }
        launches.add(new KernelLaunch(k, args));
      }
      Launch l = c.grouped() ? new GroupedLaunch(launches) : launches.get(0);
      d.launch(l, s).toCompletableFuture().get(30, TimeUnit.SECONDS);
      List<float[]> outs = new ArrayList<>();
      int total = 0;
      for (BufferSlice o : outputs) {
        float[] v = d.download(o, s).toCompletableFuture().get(30, TimeUnit.SECONDS);
        outs.add(v);
        total += v.length;
      }
      float[] all = new float[total];
      int at = 0;
      for (float[] v : outs) {
        System.arraycopy(v, 0, all, at, v.length);
        at += v.length;
      }
      return all;
    } finally {
      for (DeviceBuffer b : buffers) {
        d.free(b);
      }
    }
  }

  @Test
  void infoDescribesTheGpu() {
    assertEquals(DeviceKind.CUDA, gpu.info().kind());
    assertTrue(gpu.info().gpu().isPresent());
    assertTrue(gpu.info().gpu().get().smCount() > 0);
    assertTrue(gpu.info().memoryBytes() > (1L << 30));
    int[] range = gpu.streamPriorityRange();
    assertTrue(range[0] <= range[1]);
  }

  @Test
  void uploadDownloadRoundTripsOnStreamsOfEveryPriority() throws Exception {
    float[] x = new float[1 << 20];
    for (int i = 0; i < x.length; i++) {
      x[i] = i * 0.5f;
    }
    DeviceBuffer b = gpu.allocate(4L * x.length);
    try {
      for (int p : new int[] {-10, -1, 0, 3}) {
        DeviceStream s = gpu.createStream(p);
        gpu.upload(x, b.whole(), s);
        assertArrayEquals(x, gpu.download(b.whole(), s).toCompletableFuture().get(30, TimeUnit.SECONDS));
      }
      float[] part = gpu.download(b.slice(400, 40), gpu.defaultStream()).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(50f, part[0]);
    } finally {
      gpu.free(b);
    }
  }

  @Test
  void aBadGatherIndexFailsItsLaunchOnlyNamingTheKernel() throws Exception {
    Gather g = new Gather(Shape.of(4, 10, 3), 1, 2);
    DeviceBuffer data = gpu.allocate(g.argBytes(0));
    DeviceBuffer idx = gpu.allocate(g.argBytes(1));
    DeviceBuffer y = gpu.allocate(g.argBytes(2));
    try {
      gpu.upload(new float[] {1, 10}, idx.whole(), gpu.defaultStream());
      CompletionException e = assertThrows(CompletionException.class, () -> gpu.launch(
          new KernelLaunch(g, List.of(data.whole(), idx.whole(), y.whole())), gpu.defaultStream()).toCompletableFuture().join());
      DeviceException d = assertInstanceOf(DeviceException.class, e.getCause());
      assertEquals(DeviceException.Reason.INVALID_DATA, d.reason());
      assertTrue(d.getMessage().contains("Gather") && d.getMessage().contains("index position 1"), d.getMessage());
      assertTrue(gpu.healthy(), "a bad index is not a CUDA error");
    } finally {
      gpu.free(data);
      gpu.free(idx);
      gpu.free(y);
    }
  }

  @Test
  void exhaustingThePoolIsOutOfMemoryNotACudaError() {
    DeviceException e = assertThrows(DeviceException.class, () -> gpu.allocate(gpu.info().memoryBytes() + 256));
    assertEquals(DeviceException.Reason.OUT_OF_MEMORY, e.reason());
    assertFalse(e.getMessage().isEmpty());
  }
}
