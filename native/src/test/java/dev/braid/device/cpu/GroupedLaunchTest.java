package dev.braid.device.cpu;

import static dev.braid.device.FloatBits.bits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceBuffer;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Pool2d.PoolMode;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.device.plan.FusionKeys;
import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Grouped launches of every fusion class on the reference device: each problem's output equals,
 * bit for bit, what the same kernel computes launched alone. Every problem has its own input and
 * output buffers (as problems of different models do), shapes and attributes differ within a
 * launch, and sizes straddle {@link CpuDevice#INLINE_MAX_ELEMENTS} so both the inline and the pool
 * paths run.
 */
class GroupedLaunchTest {
  private final CpuDevice device = new CpuDevice(2, 1 << 28);

  @AfterEach
  void close() {
    device.close();
  }

  /** Runs {@code kernels} alone, then as one grouped launch, and compares the outputs' bits. */
  private void assertGroupedEqualsSeparate(long seed, List<Kernel> kernels) {
    Random rnd = new Random(seed);
    List<KernelLaunch> problems = new ArrayList<>();
    List<float[]> separate = new ArrayList<>();
    List<DeviceBuffer> owned = new ArrayList<>();
    for (Kernel k : kernels) {
      int inputs = k.argNames().size() - k.outputCount();
      float[][] ins = new float[inputs][];
      for (int i = 0; i < inputs; i++) {
        ins[i] = values(rnd, (int) (k.argBytes(i) / 4));
      }
      separate.add(Harness.run(device, k, ins));
      problems.add(Harness.prepare(device, k, owned, ins));
    }
    GroupedLaunch g = new GroupedLaunch(problems);
    assertEquals(FusionKeys.of(kernels.get(0)).orElseThrow(), g.key());
    device.launch(g, device.defaultStream()).toCompletableFuture().join();
    for (int i = 0; i < kernels.size(); i++) {
      KernelLaunch p = problems.get(i);
      float[] got = device.download(p.args().get(p.args().size() - 1), device.defaultStream()).toCompletableFuture().join();
      assertArrayEquals(bits(separate.get(i)), bits(got), "problem " + i + ": " + kernels.get(i));
    }
  }

  /** Values in [-3, 3): negatives too, so Sqrt and Pow meet NaN, and Clip both bounds. */
  private static float[] values(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextFloat() * 6f - 3f;
    }
    return a;
  }

  @Test
  void elementwiseOfMixedOpsShapesAndBroadcastsEqualsSeparateLaunches() {
    assertGroupedEqualsSeparate(1, List.of(
        Unary.of(UnaryOp.RELU, 5000),
        Binary.of(BinaryOp.ADD, Shape.of(4, 512), Shape.of(512)),
        Unary.clip(37, 0f, 6f),
        new BatchNorm(2, 16, 49),
        Unary.of(UnaryOp.GELU, 3000),
        Binary.of(BinaryOp.SUB, Shape.of(3, 1, 5), Shape.of(1, 7, 1)),
        Unary.of(UnaryOp.GELU_TANH, 1),
        Binary.of(BinaryOp.MUL, Shape.of(1, 8, 20, 20), Shape.of(1, 8, 1, 1)),
        Unary.of(UnaryOp.SIGMOID, 100),
        Binary.of(BinaryOp.DIV, Shape.of(6, 9), Shape.of(6, 9)),
        Unary.of(UnaryOp.TANH, 9000),
        Binary.of(BinaryOp.POW, Shape.of(10), Shape.of(1)),
        Unary.of(UnaryOp.ERF, 64),
        Unary.of(UnaryOp.SQRT, 33),
        Unary.of(UnaryOp.IDENTITY, 12),
        new BatchNorm(1, 64, 56 * 56)));
  }

  @Test
  void poolsOfEveryModeWindowStrideAndPaddingEqualSeparateLaunches() {
    assertGroupedEqualsSeparate(2, List.of(
        new Pool2d(PoolMode.MAX, 1, 64, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 28, 28, false),
        new GlobalAveragePool(512, 49),
        new Pool2d(PoolMode.AVERAGE, 1, 8, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 9, 9, true),
        new Pool2d(PoolMode.AVERAGE, 2, 3, 10, 12, 2, 3, 1, 2, 0, 1, 1, 0, 1, 1, 10, 6, false),
        new Pool2d(PoolMode.MAX, 1, 4, 11, 11, 3, 3, 1, 1, 0, 0, 0, 0, 2, 2, 7, 7, false),
        new GlobalAveragePool(3, 1)));
  }

  @Test
  void rowWiseNormalisationsOfEveryKindAndRowLengthEqualSeparateLaunches() {
    assertGroupedEqualsSeparate(3, List.of(
        new Softmax(12 * 16, 16, 1),
        new LayerNorm(16, 768, 1e-12f, true),
        new ReduceMean(Shape.of(2, 3, 4, 5), List.of(2, 3)),
        new Softmax(2, 5, 3),
        new LayerNorm(3, 10, 1e-5f, false),
        new ReduceMean(Shape.of(7, 9), List.of(0)),
        new Softmax(1, 1000, 1)));
  }

  /**
   * Every ReduceOp and AxisOp of the rows class, over shapes and axes that differ per problem
   * (leading, middle, trailing and several axes; fibres with inner strides; rows of 1 to 1000), in
   * one launch with the class's earlier members.
   */
  static List<Kernel> reductionsAndFibreOpsBesideNormalisations() {
    List<Kernel> ks = new ArrayList<>();
    List<Shape> inputs = List.of(Shape.of(2, 3, 4, 5), Shape.of(7, 300), Shape.of(1, 1000), Shape.of(5, 1, 6));
    List<List<Integer>> axes = List.of(List.of(1, 3), List.of(0), List.of(1), List.of(2));
    ReduceOp[] ops = ReduceOp.values();
    for (int i = 0; i < ops.length; i++) {
      Shape in = inputs.get(i % inputs.size());
      List<Integer> ax = axes.get(i % axes.size());
      // arg reductions take one axis: the last of this shape's list
      ks.add(new Reduce(ops[i], in, ops[i].isArg() ? List.of(ax.get(ax.size() - 1)) : ax, false));
    }
    int[][] views = {{4, 33, 1}, {2, 5, 3}, {1, 700, 1}, {3, 1, 8}, {6, 17, 2}, {1, 256, 1}};
    AxisOp[] axisOps = AxisOp.values();
    for (int i = 0; i < axisOps.length; i++) {
      int[] v = views[i % views.length];
      ks.add(new AlongAxis(axisOps[i], v[0], v[1], v[2], false));
    }
    ks.add(3, new Softmax(12 * 16, 16, 1));
    ks.add(8, new LayerNorm(3, 10, 1e-5f, false));
    ks.add(new ReduceMean(Shape.of(7, 9), List.of(0)));
    return ks;
  }

  @Test
  void reductionsAndFibreOpsOfEveryOpBesideNormalisationsEqualSeparateLaunches() {
    assertGroupedEqualsSeparate(8, reductionsAndFibreOpsBesideNormalisations());
  }

  @Test
  void topKsOfEveryOrderOutputAndFibreLayoutEqualSeparateLaunches() {
    assertGroupedEqualsSeparate(9, GroupedMixes.topKs());
  }

  @Test
  void nDimensionalPoolsOfEveryKindAndRankEqualSeparateLaunches() {
    assertGroupedEqualsSeparate(10, GroupedMixes.poolNds());
  }

  @Test
  void depthwiseConvolutionsOfEveryWindowStrideAndDilationEqualSeparateLaunches() {
    assertGroupedEqualsSeparate(4, List.of(
        Conv2d.simple(1, 32, 28, 28, 32, 3, 1, 1, 32),
        Conv2d.simple(1, 96, 14, 14, 96, 3, 2, 1, 96),
        Conv2d.simple(2, 8, 20, 20, 8, 5, 1, 2, 8),
        Conv2d.simple(1, 8, 9, 9, 16, 3, 1, 1, 8),
        new Conv2d(1, 12, 11, 13, 12, 3, 5, 2, 1, 1, 2, 0, 2, 2, 1, 12, true, Activation.clip(0f, 6f)),
        new Conv2d(1, 4, 7, 7, 4, 7, 7, 1, 1, 3, 3, 3, 3, 1, 1, 4, true, Activation.RELU)));
  }

  @Test
  void convolutionsOfAnyGroupsBesideDenseOnesEqualSeparateLaunches() {
    assertGroupedEqualsSeparate(5, List.of(
        Conv2d.simple(1, 8, 14, 14, 16, 3, 1, 1, 1),
        Conv2d.simple(1, 32, 15, 15, 32, 3, 1, 1, 4),
        new Conv2d(1, 6, 7, 7, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, true, Activation.RELU),
        Conv2d.simple(2, 3, 32, 32, 16, 7, 2, 3, 1)));
  }

  @Test
  void gemmsBesidePointwiseConvolutionsLoweredToGemmsEqualSeparateLaunches() {
    // What SpatialLowering.asGemm makes of a 1x1 conv 24 -> 144 over 28 x 28 at batch 2 with bias:
    // W shared (offset 0), each image its own C x HW slice of X, bias per row.
    Gemm pointwise = new Gemm(2, 144, 28 * 28, 24, false, false, 1f, 1f, GemmBias.PER_ROW,
        new int[] {0, 0}, new int[] {0, 24 * 28 * 28});
    assertGroupedEqualsSeparate(6, List.of(
        pointwise,
        Gemm.of(256, 128, 288),
        Gemm.of(33, 17, 45, true, false, 0.5f, 2f, GemmBias.FULL),
        Gemm.strided(2, 64, 64, 64, 64 * 64, 64 * 64)));
    assertGroupedEqualsSeparate(7, List.of(
        Gemm.of(1, 1000, 512, false, true, 1f, 1f, GemmBias.PER_COLUMN),
        new Gemm(1, 16, 56 * 56, 32, false, false, 1f, 0f, GemmBias.NONE, new int[1], new int[1]),
        Gemm.of(512, 1, 512)));
  }

  @Test
  void gemmsBesideConvolutionsOfOneTiledClassEqualSeparateLaunches() {
    // issue 10's wider class: tiled GEMMs (plain, transposed, batched, biased) and convolutions of
    // any groups, window, stride, dilation, bias and activation in one launch, interleaved
    Gemm pointwise = new Gemm(2, 144, 28 * 28, 24, false, false, 1f, 1f, GemmBias.PER_ROW,
        new int[] {0, 0}, new int[] {0, 24 * 28 * 28});
    assertGroupedEqualsSeparate(9, List.of(
        Conv2d.simple(1, 8, 14, 14, 16, 3, 1, 1, 1),
        Gemm.of(256, 128, 288),
        Conv2d.simple(1, 32, 15, 15, 32, 3, 1, 1, 4),
        Gemm.of(33, 17, 45, true, false, 0.5f, 2f, GemmBias.FULL),
        new Conv2d(1, 16, 17, 19, 24, 3, 3, 1, 2, 2, 1, 0, 3, 2, 2, 1, true, Activation.clip(0f, 6f)),
        pointwise,
        Conv2d.simple(2, 3, 32, 32, 16, 7, 2, 3, 1),
        Gemm.strided(2, 64, 64, 64, 64 * 64, 64 * 64)));
  }

  @Test
  void problemsWithDifferentKeysAreRefusedNamingTheProblemAndBothKeys() {
    DeviceBuffer b = device.allocate(1 << 12);
    KernelLaunch relu = new KernelLaunch(Unary.of(UnaryOp.RELU, 4), List.of(b.whole(), b.whole()));
    KernelLaunch add = new KernelLaunch(Binary.of(BinaryOp.ADD, Shape.of(4), Shape.of(4)), List.of(b.whole(), b.whole(), b.whole()));
    KernelLaunch softmax = new KernelLaunch(new Softmax(1, 4, 1), List.of(b.whole(), b.whole()));
    KernelLaunch gemm = new KernelLaunch(Gemm.of(17, 17, 2), List.of(b.whole(), b.whole(), b.whole()));
    KernelLaunch skinny = new KernelLaunch(Gemm.of(1, 20, 2), List.of(b.whole(), b.whole(), b.whole()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new GroupedLaunch(List.of(relu, add, softmax)));
    assertTrue(e.getMessage().contains("problem 2") && e.getMessage().contains("NORMALIZATION/FLOAT/rows")
        && e.getMessage().contains("ELEMENTWISE/FLOAT/flat"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new GroupedLaunch(List.of(gemm, skinny)));
    assertTrue(e.getMessage().contains("problem 1") && e.getMessage().contains("GEMM/FLOAT/skinny16x32")
        && e.getMessage().contains("GEMM/FLOAT/tile64x64"), e.getMessage());
    Conv2d dense = Conv2d.simple(1, 4, 4, 4, 4, 3, 1, 1, 1);
    Conv2d dw = Conv2d.simple(1, 4, 4, 4, 4, 3, 1, 1, 4);
    KernelLaunch denseL = new KernelLaunch(dense, List.of(b.whole(), b.whole(), b.whole()));
    KernelLaunch dwL = new KernelLaunch(dw, List.of(b.whole(), b.whole(), b.whole()));
    e = assertThrows(IllegalArgumentException.class, () -> new GroupedLaunch(List.of(denseL, dwL)));
    assertTrue(e.getMessage().contains("problem 1") && e.getMessage().contains("DEPTHWISE_CONV2D/FLOAT/dw"), e.getMessage());
  }

  @Test
  void kernelsWithoutAKeyAreRefusedEvenAlone() {
    DeviceBuffer b = device.allocate(1 << 12);
    KernelLaunch relu = new KernelLaunch(Unary.of(UnaryOp.RELU, 4), List.of(b.whole(), b.whole()));
    List<KernelLaunch> unfusable = List.of(
        new KernelLaunch(new Transpose(Shape.of(2, 3), List.of(1, 0)), List.of(b.whole(), b.whole())),
        new KernelLaunch(new Concat(List.of(Shape.of(2), Shape.of(2)), 0), List.of(b.whole(), b.whole(), b.whole())),
        new KernelLaunch(Gemm.of(32, 32, 32).withPrecision(Precision.BF16_FP32_ACC), List.of(b.whole(), b.whole(), b.whole())),
        // integral: one member's overflow past 2^24 would fail the whole launch
        new KernelLaunch(new Reduce(ReduceOp.SUM, Shape.of(2, 3), List.of(1), true), List.of(b.whole(), b.whole())),
        new KernelLaunch(new AlongAxis(AxisOp.CUMSUM, 1, 4, 1, true), List.of(b.whole(), b.whole())));
    for (KernelLaunch u : unfusable) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GroupedLaunch(List.of(u)));
      assertTrue(e.getMessage().contains("problem 0") && e.getMessage().contains("no fusion key"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> new GroupedLaunch(List.of(relu, u)));
      assertTrue(e.getMessage().contains("problem 1") && e.getMessage().contains(u.kernel().toString()), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new GroupedLaunch(List.of()));
  }
}
