package dev.braid.device.cpu;

import static dev.braid.device.cpu.Harness.assertClose;
import static dev.braid.device.cpu.Harness.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.Precision;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CpuDevice in {@link Precision#BF16_FP32_ACC} against the naive (double) reference run on inputs
 * rounded to bf16 first: bias and epilogue untouched, the caller's buffers not modified, and the
 * result measurably different from float32 (so the rounding really happens).
 */
class Bf16KernelTest {
  private static final CpuDevice DEVICE = new CpuDevice(2);

  @AfterAll
  static void close() {
    DEVICE.close();
  }

  private static float[] rounded(float[] v) {
    float[] r = new float[v.length];
    Bfloat16.round(v, 0, r, 0, v.length);
    return r;
  }

  /** Largest |a - b| relative to the largest |b|. */
  private static double relDiff(float[] a, float[] b) {
    double d = 0, m = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
      m = Math.max(m, Math.abs(b[i]));
    }
    return d / m;
  }

  /**
   * Within 1e-5 of the largest |expected| (float32 sums, scalar or SIMD, against double: about
   * sqrt(K) x 6e-8), and elementwise within Harness's float32 bounds. An unrounded operand errs by
   * about 2^-9 of the terms, far outside the first bound.
   */
  private static void assertMatches(float[] expected, float[] actual, String what) {
    assertClose(expected, actual, what);
    double rel = relDiff(actual, expected);
    assertTrue(rel <= 1e-5, what + ": error " + rel + " relative to the largest |expected|");
  }

  @ParameterizedTest(name = "M={0} N={1} K={2} transA={3} transB={4} bias={5}")
  @CsvSource({
      "1, 1, 1, false, false, NONE",
      "65, 67, 17, true, true, SCALAR",
      "197, 130, 300, false, true, PER_COLUMN",
      "40, 260, 19, true, false, PER_ROW",
      "3, 70, 1152, false, false, FULL"})
  void gemmMatchesNaiveOnRoundedInputs(int m, int n, int k, boolean ta, boolean tb, GemmBias bias) {
    Random rnd = new Random(m * 131 + k);
    Gemm g = Gemm.of(m, n, k, ta, tb, 0.75f, 1.5f, bias).withPrecision(Precision.BF16_FP32_ACC);
    float[] a = random(rnd, m * k), b = random(rnd, k * n), c = random(rnd, (int) bias.elements(m, n));
    float[] a0 = a.clone(), b0 = b.clone();
    float[] got = bias == GemmBias.NONE ? Harness.run(DEVICE, g, a, b) : Harness.run(DEVICE, g, a, b, c);
    assertMatches(Naive.gemm(g, rounded(a), rounded(b), c), got, g.toString());
    assertArrayEquals(a0, a, "A untouched");
    assertArrayEquals(b0, b, "B untouched");
  }

  @Test
  void bf16DiffersFromFloat32ByTheInputRoundingAlone() {
    Random rnd = new Random(3);
    Gemm f32 = Gemm.of(64, 64, 256);
    float[] a = random(rnd, 64 * 256), b = random(rnd, 256 * 64);
    float[] exact = Harness.run(DEVICE, f32, a, b);
    float[] bf16 = Harness.run(DEVICE, f32.withPrecision(Precision.BF16_FP32_ACC), a, b);
    double rel = relDiff(bf16, exact);
    // each input errs by at most 2^-9 relative: far above float32 noise, well below 1%
    assertTrue(rel > 1e-4 && rel < 1e-2, "bf16 vs float32 relative difference " + rel);
  }

  @Test
  void batchedGemmRoundsEveryEntrysOperands() {
    Gemm g = new Gemm(3, 5, 7, 9, false, false, 1f, 1f, GemmBias.PER_COLUMN, new int[] {0, 45, 90},
        new int[] {0, 0, 0}, Precision.BF16_FP32_ACC);
    Random rnd = new Random(9);
    float[] a = random(rnd, 135), b = random(rnd, 63), c = random(rnd, 7);
    assertMatches(Naive.gemm(g, rounded(a), rounded(b), c), Harness.run(DEVICE, g, a, b, c), "batched");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "plain 3x3, 1, 3, 9, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, false",
      "strided padded asymmetric, 2, 4, 11, 10, 6, 3, 3, 2, 2, 0, 1, 2, 1, 1, 1, 1, true",
      "dilated, 1, 2, 12, 12, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, true",
      "grouped, 1, 6, 8, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, true",
      "depthwise, 2, 8, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, true",
      "pointwise, 1, 16, 7, 7, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true",
      "shared im2col, 1, 256, 7, 7, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true"})
  void convMatchesNaiveOnRoundedInputs(String name, int n, int c, int h, int w, int k, int kh, int kw, int sh,
      int sw, int pt, int pl, int pb, int pr, int dh, int dw, int groups, boolean bias) {
    Conv2d cv = new Conv2d(n, c, h, w, k, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, groups, bias,
        Activation.clip(-0.5f, 0.5f), Precision.BF16_FP32_ACC);
    Random rnd = new Random(name.hashCode());
    float[] x = random(rnd, n * c * h * w), wt = random(rnd, k * (c / groups) * kh * kw), b = random(rnd, k);
    float[] got = bias ? Harness.run(DEVICE, cv, x, wt, b) : Harness.run(DEVICE, cv, x, wt);
    assertMatches(Naive.conv(cv, rounded(x), rounded(wt), bias ? b : null), got, name);
  }
}
