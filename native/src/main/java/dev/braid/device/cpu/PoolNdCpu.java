package dev.braid.device.cpu;

import dev.braid.device.kernel.PoolNd;

/** CPU reference of {@link PoolNd}: one task range of output elements, windows walked with an odometer. */
final class PoolNdCpu {
  private PoolNdCpu() {}

  static Work plan(PoolNd pn, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    int r = pn.in().size();
    int[] in = ints(pn.in()), k = ints(pn.kernel()), st = ints(pn.stride()), pb = ints(pn.padBegin());
    int[] pe = ints(pn.padEnd()), dil = ints(pn.dilation()), out = ints(pn.out());
    int inPlane = 1, outPlane = 1;
    for (int d = 0; d < r; d++) {
      inPlane *= in[d];
      outPlane *= out[d];
    }
    int[] rowStr = new int[r], colStr = new int[r];
    for (int d = r - 1, acc = 1; d >= 0; d--) {
      rowStr[d] = acc;
      acc *= in[d];
    }
    for (int d = 0, acc = 1; d < r; d++) {
      colStr[d] = acc;
      acc *= in[d];
    }
    int inP = inPlane, outP = outPlane;
    long window = pn.windowElements();
    return Work.chunked(pn.outputElements(), Math.max(1, ElementwiseCpu.GRAIN / Math.max(1, window)), (from, to) -> {
      int[] oc = new int[r], kc = new int[r];
      for (int o = from; o < to; o++) {
        int plane = o / outP, rem = o % outP;
        for (int d = r - 1; d >= 0; d--) {
          oc[d] = rem % out[d];
          rem /= out[d];
        }
        double acc = pn.kind() == PoolNd.Kind.MAX || pn.kind() == PoolNd.Kind.MAX_INDEX ? Double.NEGATIVE_INFINITY : 0;
        int best = -1, valid = 0, inside = 0;
        java.util.Arrays.fill(kc, 0);
        for (long w = 0; w < window; w++) {
          int off = 0, colOff = 0;
          boolean ok = true, padded = true;
          for (int d = 0; d < r; d++) {
            int pos = oc[d] * st[d] - pb[d] + kc[d] * dil[d];
            ok &= pos >= 0 && pos < in[d];
            padded &= pos < in[d] + pe[d];
            off += pos * rowStr[d];
            colOff += pos * colStr[d];
          }
          if (padded) {
            inside++;
          }
          if (ok) {
            float v = x[xo + plane * inP + off];
            valid++;
            switch (pn.kind()) {
              case MAX, MAX_INDEX -> {
                // the first largest; the first NaN wins and stays
                if (best < 0 || v > acc || (Float.isNaN(v) && !Double.isNaN(acc))) {
                  acc = v;
                  best = pn.columnMajor() ? colOff : off;
                }
              }
              case AVERAGE -> acc += v;
              case LP -> acc += Math.pow(Math.abs(v), pn.p());
            }
          }
          for (int d = r - 1; d >= 0 && ++kc[d] == k[d]; d--) {
            kc[d] = 0;
          }
        }
        y[yo + o] = switch (pn.kind()) {
          case MAX -> (float) acc;
          case MAX_INDEX -> (float) ((long) plane * inP + best);
          case AVERAGE -> (float) (acc / (pn.countIncludePad() ? inside : valid));
          case LP -> (float) Math.pow(acc, 1.0 / pn.p());
        };
      }
    });
  }

  private static int[] ints(java.util.List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }
}
