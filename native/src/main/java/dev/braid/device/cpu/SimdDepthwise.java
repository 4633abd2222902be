package dev.braid.device.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One output row of a depthwise convolution on the incubating Vector API, over the padded column
 * phases {@link ConvCpu} builds: each block of two vectors of outputs stays in registers across
 * all taps (two loads and two FMAs per tap), so the row is written once instead of once per tap.
 * Only {@link ConvCpu} touches this class, and only when {@link GemmCpu#SIMD} holds.
 */
final class SimdDepthwise {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Floats per vector. */
  static final int L = S.length();
  /** Outputs per register block: two vectors. */
  static final int BLOCK = 2 * L;

  private SimdDepthwise() {}

  /**
   * {@code y[yPos + j] = clamp(sum_t w[wBase + t] * ph[base + tapOff[t] + j] + bias, lo, hi)} for j
   * in [0, ow), taps summed in order. Reads up to {@link #BLOCK} - 1 floats past each tap's run
   * (the caller pads the phases for that) and writes whole blocks into {@code tmp} (at least ow
   * rounded up to a block) before copying the row out.
   */
  static void row(float[] ph, int base, int[] tapOff, float[] w, int wBase, float bias, float lo, float hi,
      float[] y, int yPos, int ow, float[] tmp) {
    int taps = tapOff.length;
    for (int j = 0; j < ow; j += BLOCK) {
      FloatVector a0 = FloatVector.zero(S), a1 = a0;
      int p = base + j;
      for (int t = 0; t < taps; t++) {
        FloatVector wv = FloatVector.broadcast(S, w[wBase + t]);
        int q = p + tapOff[t];
        a0 = FloatVector.fromArray(S, ph, q).fma(wv, a0);
        a1 = FloatVector.fromArray(S, ph, q + L).fma(wv, a1);
      }
      a0 = a0.add(bias).max(lo).min(hi);
      a1 = a1.add(bias).max(lo).min(hi);
      a0.intoArray(tmp, j);
      a1.intoArray(tmp, j + L);
    }
    System.arraycopy(tmp, 0, y, yPos, ow);
  }
}
