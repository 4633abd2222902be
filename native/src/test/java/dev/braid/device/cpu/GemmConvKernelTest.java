package dev.braid.device.cpu;

import static dev.braid.device.cpu.Harness.assertClose;
import static dev.braid.device.cpu.Harness.random;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GemmConvKernelTest {
  private static final CpuDevice DEVICE = new CpuDevice(2);

  @AfterAll
  static void close() {
    DEVICE.close();
  }

  @ParameterizedTest(name = "M={0} N={1} K={2} transA={3} transB={4} bias={5}")
  @CsvSource({
      "1, 1, 1, false, false, NONE",
      "3, 5, 7, false, false, FULL",
      "17, 33, 300, true, false, PER_COLUMN",
      "40, 260, 19, false, true, PER_ROW",
      "5, 9, 4608, true, true, SCALAR",
      "64, 300, 130, false, false, PER_COLUMN",
      "70, 1037, 600, false, false, PER_ROW",
      "1, 1024, 1024, false, true, NONE",
      "13, 70, 4608, false, false, NONE"})
  void gemmMatchesNaive(int m, int n, int k, boolean ta, boolean tb, GemmBias bias) {
    Random rnd = new Random(m * 31 + n);
    Gemm g = Gemm.of(m, n, k, ta, tb, 0.75f, 1.5f, bias);
    float[] a = random(rnd, m * k), b = random(rnd, k * n), c = random(rnd, (int) bias.elements(m, n));
    float[] got = bias == GemmBias.NONE ? Harness.run(DEVICE, g, a, b) : Harness.run(DEVICE, g, a, b, c);
    assertClose(Naive.gemm(g, a, b, c), got, g.toString());
  }

  @Test
  void batchedGemmWithBroadcastOffsetsMatchesNaive() {
    // MatMul [2,1,3,4] x [1,3,4,5] -> [2,3,3,5]: A repeats across the 3, B across the 2.
    int[] aOff = new int[6], bOff = new int[6];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        aOff[i * 3 + j] = i * 12;
        bOff[i * 3 + j] = j * 20;
      }
    }
    Gemm g = new Gemm(6, 3, 5, 4, false, false, 1f, 0f, GemmBias.NONE, aOff, bOff);
    Random rnd = new Random(5);
    float[] a = random(rnd, 24), b = random(rnd, 60);
    assertClose(Naive.gemm(g, a, b, null), Harness.run(DEVICE, g, a, b), "broadcast batched");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "plain 3x3, 1, 3, 9, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, false",
      "strided padded asymmetric, 2, 4, 11, 10, 6, 3, 3, 2, 2, 0, 1, 2, 1, 1, 1, 1, true",
      "dilated, 1, 2, 12, 12, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, true",
      "grouped, 1, 6, 8, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, true",
      "depthwise, 2, 8, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, true",
      "depthwise multiplier 2, 1, 4, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, false",
      // Depthwise through padded column phases: odd widths, asymmetric and over-wide padding,
      // dilation, strides 2 and 3, 5x5, planes split over several tasks (many channels, wide rows).
      "depthwise strided odd asymmetric, 1, 6, 13, 11, 6, 3, 3, 2, 2, 0, 1, 2, 2, 1, 1, 6, true",
      "depthwise dilated strided, 1, 5, 17, 19, 5, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 5, true",
      "depthwise stride 3 5x5, 2, 3, 16, 23, 6, 5, 5, 3, 3, 2, 1, 2, 3, 1, 1, 3, true",
      "depthwise pad wider than kernel, 1, 2, 5, 6, 2, 3, 3, 1, 1, 3, 4, 3, 4, 1, 1, 2, false",
      "depthwise many tasks, 2, 48, 56, 57, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 48, true",
      "depthwise many tasks strided, 1, 40, 57, 56, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 40, true",
      "pointwise, 1, 16, 7, 7, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true",
      "1-D as H=1, 1, 3, 1, 20, 5, 1, 5, 1, 2, 0, 2, 0, 2, 1, 1, 1, true",
      "large K im2col, 1, 512, 4, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, false",
      // Big enough to split into several tasks: per-task im2col tiles that start mid-row.
      "tiled im2col, 1, 16, 40, 38, 30, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true",
      "tiled im2col strided, 1, 8, 61, 57, 18, 5, 5, 2, 2, 2, 1, 2, 2, 1, 1, 1, true",
      // Small image, many channels: the tasks split output channels over one shared im2col matrix.
      "shared im2col, 1, 256, 7, 7, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true",
      "pointwise split, 1, 96, 14, 14, 150, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true"})
  void convMatchesNaive(String name, int n, int c, int h, int w, int k, int kh, int kw, int sh, int sw,
      int pt, int pl, int pb, int pr, int dh, int dw, int groups, boolean bias) {
    Conv2d cv = new Conv2d(n, c, h, w, k, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, groups, bias, Activation.NONE);
    Random rnd = new Random(name.hashCode());
    float[] x = random(rnd, n * c * h * w), wt = random(rnd, k * (c / groups) * kh * kw), b = random(rnd, k);
    float[] got = bias ? Harness.run(DEVICE, cv, x, wt, b) : Harness.run(DEVICE, cv, x, wt);
    assertClose(Naive.conv(cv, x, wt, bias ? b : null), got, name);
  }

  @Test
  void convFusesReluAndClip() {
    for (Activation act : new Activation[] {Activation.RELU, Activation.clip(-0.2f, 0.3f)}) {
      for (int groups : new int[] {1, 4}) {
        Conv2d cv = new Conv2d(1, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, groups, true, act);
        Random rnd = new Random(groups);
        float[] x = random(rnd, 144), wt = random(rnd, 4 * (4 / groups) * 9), b = random(rnd, 4);
        assertClose(Naive.conv(cv, x, wt, b), Harness.run(DEVICE, cv, x, wt, b), act + " groups " + groups);
      }
    }
  }
}
