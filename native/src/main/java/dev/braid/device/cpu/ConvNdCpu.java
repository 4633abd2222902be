package dev.braid.device.cpu;

import dev.braid.device.kernel.ConvNd;
import java.util.List;

/**
 * CPU reference of {@link ConvNd}: each output element gathers its taps (so no two tasks write one
 * element), chunked over output elements, accumulating in double. Fewer than three spatial axes
 * are padded in front to three of size 1 (kernel 1, stride 1, no pad), the same normal form the
 * CUDA kernel reads, so one loop nest serves 1-D to 3-D.
 */
final class ConvNdCpu {
  private ConvNdCpu() {}

  static Work run(ConvNd k, Args args) {
    ConvOperands ops = ConvOperands.of(k, args);
    float[] x = ops.x(), wt = ops.w(), b = ops.b(), y = ops.y();
    int xo = ops.xo(), wo = ops.wo(), bo = ops.bo(), yo = ops.yo();
    int[] in = three(k.in(), 1), ks = three(k.kernel(), 1), st = three(k.stride(), 1);
    int[] pad = three(k.padBegin(), 0), dil = three(k.dilation(), 1), out = three(k.out(), 1);
    boolean transposed = k.kind() == ConvNd.Kind.CONV_TRANSPOSE;
    int m = k.m(), c = k.c(), cpg = k.inputsPerGroup(), opg = k.outputsPerGroup();
    int inPlane = (int) k.inputPlane(), outPlane = (int) k.outputPlane(), taps = (int) k.taps();
    long perElement = Math.max(1, (long) cpg * taps);
    return Work.chunked(k.outputElements(), Math.max(1, ElementwiseCpu.GRAIN / perElement), (from, to) -> {
      int[] oc = new int[3], ic = new int[3];
      for (int e = from; e < to; e++) {
        int rem = e % outPlane;
        for (int d = 2; d >= 0; d--) {
          oc[d] = rem % out[d];
          rem /= out[d];
        }
        int o = (e / outPlane) % m, img = e / (outPlane * m);
        int g = o / opg;
        double acc = b == null ? 0 : b[bo + o];
        for (int kd = 0; kd < ks[0]; kd++) {
          if (!position(transposed, oc, 0, kd, in, st, pad, dil, ic)) {
            continue;
          }
          for (int kh = 0; kh < ks[1]; kh++) {
            if (!position(transposed, oc, 1, kh, in, st, pad, dil, ic)) {
              continue;
            }
            for (int kw = 0; kw < ks[2]; kw++) {
              if (!position(transposed, oc, 2, kw, in, st, pad, dil, ic)) {
                continue;
              }
              int xAt = (ic[0] * in[1] + ic[1]) * in[2] + ic[2];
              int tap = (kd * ks[1] + kh) * ks[2] + kw;
              for (int ci = 0; ci < cpg; ci++) {
                int i = g * cpg + ci;
                int wAt = transposed ? (i * opg + o % opg) * taps + tap : (o * cpg + ci) * taps + tap;
                acc += (double) x[xo + (img * c + i) * inPlane + xAt] * wt[wo + wAt];
              }
            }
          }
        }
        y[yo + e] = (float) acc;
      }
    });
  }

  /**
   * Sets {@code ic[d]}, the input position that tap {@code t} of output position {@code oc[d]}
   * meets along axis {@code d}; false when it meets none (padding, or between strides).
   */
  private static boolean position(boolean transposed, int[] oc, int d, int t, int[] in, int[] st, int[] pad, int[] dil,
      int[] ic) {
    if (!transposed) {
      int i = oc[d] * st[d] - pad[d] + t * dil[d];
      ic[d] = i;
      return i >= 0 && i < in[d];
    }
    int v = oc[d] + pad[d] - t * dil[d];
    if (v < 0 || v % st[d] != 0 || v / st[d] >= in[d]) {
      return false;
    }
    ic[d] = v / st[d];
    return true;
  }

  /** {@code l} padded in front to three entries with {@code fill}. */
  private static int[] three(List<Integer> l, int fill) {
    int[] a = new int[3];
    int lead = 3 - l.size();
    for (int d = 0; d < 3; d++) {
      a[d] = d < lead ? fill : l.get(d - lead);
    }
    return a;
  }
}
