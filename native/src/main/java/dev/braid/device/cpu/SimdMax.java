package dev.braid.device.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lanewise max and clamps on the incubating Vector API, for max pooling and ReLU/Clip; NaN wins as
 * in {@link Math#max}. Only {@link PoolCpu} and {@link ElementwiseCpu} touch this class, and only
 * when {@link GemmCpu#SIMD} holds.
 */
final class SimdMax {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private SimdMax() {}

  /** Gather offsets {@code l * stride} per lane, for strides up to 4. */
  private static final int[][] STRIDED = new int[5][];

  static {
    for (int st = 1; st < STRIDED.length; st++) {
      STRIDED[st] = new int[S.length()];
      for (int l = 0; l < S.length(); l++) {
        STRIDED[st][l] = l * st;
      }
    }
  }

  /**
   * {@code y[out + j] = max_s col[j * sw - pl + s * dw]} for j in [j0, j1), where every window
   * lies inside {@code col}; whole vectors of outputs by gathers, strides up to 4. Returns the first
   * j not done (the caller finishes the rest).
   */
  static int windows(float[] col, float[] y, int out, int j0, int j1, int sw, int pl, int kw, int dw) {
    if (sw >= STRIDED.length) {
      return j0;
    }
    int[] idx = STRIDED[sw];
    int j = j0;
    for (; j + S.length() <= j1; j += S.length()) {
      int base = j * sw - pl;
      FloatVector best = FloatVector.fromArray(S, col, base, idx, 0);
      for (int s = 1; s < kw; s++) {
        best = best.max(FloatVector.fromArray(S, col, base + s * dw, idx, 0));
      }
      best.intoArray(y, out + j);
    }
    return j;
  }

  /** {@code y[yp + i] = min(max(x[xp + i], lo), hi)} for i in [0, n): ReLU and Clip, NaN passing through. */
  static void clamp(float[] x, int xp, float[] y, int yp, int n, float lo, float hi) {
    int i = 0;
    for (int end = S.loopBound(n); i < end; i += S.length()) {
      FloatVector.fromArray(S, x, xp + i).max(lo).min(hi).intoArray(y, yp + i);
    }
    for (; i < n; i++) {
      y[yp + i] = Math.min(Math.max(x[xp + i], lo), hi);
    }
  }

  /** {@code acc[c] = max(acc[c], x[from + c])} for c in [0, n). */
  static void into(float[] acc, float[] x, int from, int n) {
    int c = 0;
    for (int end = S.loopBound(n); c < end; c += S.length()) {
      FloatVector.fromArray(S, acc, c).max(FloatVector.fromArray(S, x, from + c)).intoArray(acc, c);
    }
    for (; c < n; c++) {
      acc[c] = Math.max(acc[c], x[from + c]);
    }
  }
}
