package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.cuda.CudaDeviceGpuTest.Case;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.ConvNd;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.ScatterReduction;
import dev.braid.device.kernel.TopK;
import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 12's CUDA kernels (tensor.cuh) against CpuDevice, as {@link CudaDeviceGpuTest} does for
 * the first set: seeded random data, index arguments drawn valid (negative ones included), the
 * same tolerances (exact for data movement and indices). Needs a GPU (or the emulated driver):
 * {@code mvn -Dgroups=gpu -pl native -am test -Dtest=TensorKernelsGpuTest}.
 */
@Tag("gpu")
class TensorKernelsGpuTest {
  static CudaDevice gpu;
  static CpuDevice cpu;

  @BeforeAll
  static void open() {
    gpu = CudaDevice.open(0);
    cpu = new CpuDevice(2);
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

  static Stream<Case> cases() {
    List<Case> c = new ArrayList<>();
    Shape x = Shape.of(2, 3, 40, 5);
    for (ReduceOp op : ReduceOp.values()) {
      List<Integer> axes = op.isArg() ? List.of(2) : List.of(1, 2);
      boolean positive = op == ReduceOp.LOG_SUM || op == ReduceOp.PROD;
      c.add(new Case("reduce " + op, List.of(new Reduce(op, x, axes, false)), false,
          op.isArg() ? 0 : CudaDeviceGpuTest.SUM, positive ? 0.9 : -1, positive ? 1.1 : 1));
    }
    for (AxisOp op : AxisOp.values()) {
      c.add(Case.of("along axis " + op, new AlongAxis(op, 2, 300, 7, false), op == AxisOp.HARDMAX ? 0 : CudaDeviceGpuTest.SUM));
    }
    c.add(Case.of("topk largest values", new TopK(3, 50, 4, 7, true, false), 0));
    c.add(Case.of("topk smallest indices", new TopK(3, 50, 4, 7, false, true), 0));
    c.add(Case.of("remap with fill", new Remap(600, 2000, 0.25f), 0));
    c.add(Case.of("gather elements axis 1", new GatherElements(Shape.of(4, 10, 3), Shape.of(4, 6, 3), 1), 0));
    c.add(Case.of("gather nd batch 1", new GatherNd(Shape.of(3, 5, 6, 2), Shape.of(3, 4, 2), 1), 0));
    c.add(Case.of("scatter nd add", new Scatter(true, Shape.of(6, 5, 3), Shape.of(10, 1), 0, ScatterReduction.ADD),
        CudaDeviceGpuTest.EW));
    c.add(Case.of("scatter elements mul axis 0", new Scatter(false, Shape.of(5, 7), Shape.of(9, 4), 0, ScatterReduction.MUL),
        CudaDeviceGpuTest.EW));
    c.add(Case.of("scatter elements none axis 1", new Scatter(false, Shape.of(5, 7), Shape.of(3, 12), 1, ScatterReduction.NONE),
        0));
    c.add(Case.of("one hot", new OneHot(6, 11, 3, -1f, 2f), 0));
    c.add(Case.of("conv transpose strided grouped bias", new dev.braid.device.kernel.ConvTranspose2d(2, 4, 5, 6, 6, 3,
        3, 2, 3, 1, -1, 2, 1, 2, 12, 19, true), CudaDeviceGpuTest.SUM));
    c.add(Case.of("conv transpose 1-D no bias", new dev.braid.device.kernel.ConvTranspose2d(1, 3, 1, 9, 2, 1, 4, 1,
        2, 0, 2, 1, 2, 1, 1, 20, false), CudaDeviceGpuTest.SUM));
    convNd(c);
    List<Integer> in3 = List.of(7, 9, 8), k3 = List.of(3, 2, 3), s3 = List.of(2, 1, 2), p3 = List.of(1, 0, 1);
    List<Integer> one3 = List.of(1, 1, 1), out3 = List.of(4, 8, 4);
    for (PoolNd.Kind kind : PoolNd.Kind.values()) {
      c.add(Case.of("pool 3-D " + kind, new PoolNd(kind, 6, in3, k3, s3, p3, p3, one3, out3, kind == PoolNd.Kind.AVERAGE, 3,
          kind == PoolNd.Kind.MAX_INDEX), kind == PoolNd.Kind.LP || kind == PoolNd.Kind.AVERAGE ? CudaDeviceGpuTest.SUM : 0));
    }
    return c.stream();
  }

  /**
   * ConvNd both ways over 3, 2 and 1 spatial axes (the kernel's normal form pads to three): groups,
   * strides, dilations, pads (negative for the transposed one), with and without bias.
   */
  private static void convNd(List<Case> c) {
    ConvNd.Kind conv = ConvNd.Kind.CONV, transposed = ConvNd.Kind.CONV_TRANSPOSE;
    c.add(Case.of("conv 3-D grouped strided dilated padded bias", new ConvNd(conv, 2, 4, 6, List.of(6, 7, 8),
        List.of(3, 2, 3), List.of(2, 1, 2), List.of(1, 0, 1), List.of(1, 2, 1), List.of(3, 5, 4), 2, true),
        CudaDeviceGpuTest.SUM));
    c.add(Case.of("conv 3-D depthwise no bias", new ConvNd(conv, 1, 3, 3, List.of(4, 5, 6), List.of(2, 2, 2),
        List.of(1, 1, 1), List.of(0, 1, 1), List.of(1, 1, 1), List.of(3, 5, 6), 3, false), CudaDeviceGpuTest.SUM));
    c.add(Case.of("conv 2-D as ConvNd", new ConvNd(conv, 2, 3, 4, List.of(9, 7), List.of(3, 3), List.of(2, 1),
        List.of(1, 1), List.of(1, 2), List.of(5, 5), 1, true), CudaDeviceGpuTest.SUM));
    c.add(Case.of("conv transpose 3-D strided negative pad", new ConvNd(transposed, 1, 4, 2, List.of(3, 4, 5),
        List.of(3, 3, 2), List.of(2, 1, 2), List.of(1, -1, 0), List.of(1, 1, 2), List.of(5, 8, 10), 1, false),
        CudaDeviceGpuTest.SUM));
    c.add(Case.of("conv transpose 3-D grouped bias", new ConvNd(transposed, 2, 4, 6, List.of(3, 3, 4),
        List.of(2, 3, 2), List.of(2, 2, 1), List.of(0, 1, 1), List.of(1, 1, 2), List.of(6, 6, 4), 2, true),
        CudaDeviceGpuTest.SUM));
    c.add(Case.of("conv transpose 1-D as ConvNd", new ConvNd(transposed, 1, 3, 2, List.of(9), List.of(4),
        List.of(2), List.of(0), List.of(1), List.of(20), 1, true), CudaDeviceGpuTest.SUM));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesTheCpuDevice(Case c) throws Exception {
    float[][] inputs = inputs(c, new SplittableRandom(c.name().hashCode()));
    float[] want = CudaDeviceGpuTest.run(cpu, c, inputs);
    float[] got = CudaDeviceGpuTest.run(gpu, c, inputs);
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) {
      double d = Math.abs((double) got[i] - want[i]) / (1 + Math.abs(want[i]));
      int at = i;
      assertTrue(d <= c.tolerance() || (Float.isNaN(want[i]) && Float.isNaN(got[i])),
          () -> c.name() + " output " + at + ": gpu " + got[at] + ", cpu " + want[at]);
    }
    assertTrue(gpu.healthy());
  }

  /** Random data; index arguments valid for their kernel, negative ones included. */
  static float[][] inputs(Case c, SplittableRandom rnd) {
    Kernel k = c.problems().get(0);
    int n = k.argNames().size() - k.outputCount();
    float[][] in = new float[n][];
    for (int i = 0; i < n; i++) {
      float[] v = new float[(int) (k.argBytes(i) / 4)];
      int bound = indexBound(k, i);
      for (int j = 0; j < v.length; j++) {
        v[j] = bound == 0 ? (float) (c.lo() + rnd.nextDouble() * (c.hi() - c.lo()))
            : k instanceof Remap ? rnd.nextInt(-1, bound) : rnd.nextInt(-bound, bound);
      }
      if (k instanceof GatherNd g && i == 1) {
        for (int j = 0; j < v.length; j++) {
          int d = g.data().dim(g.batchDims() + j % g.depth());
          v[j] = rnd.nextInt(-d, d);
        }
      }
      in[i] = v;
    }
    return in;
  }

  /** The exclusive bound of argument {@code i}'s indices, or 0 for data. */
  private static int indexBound(Kernel k, int i) {
    if (k instanceof Remap r && i == 1) {
      return r.inputElements();
    }
    if (k instanceof GatherElements g && i == 1) {
      return g.data().dim(g.axis());
    }
    if (k instanceof GatherNd && i == 1) {
      return 1;
    }
    if (k instanceof Scatter s && i == 1) {
      return s.nd() ? s.data().dim(0) : s.data().dim(s.axis());
    }
    if (k instanceof OneHot h && i == 0) {
      return h.depth() + 2;
    }
    return 0;
  }
}
