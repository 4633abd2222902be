package dev.braid.device.cpu;

import dev.braid.device.kernel.Pool2d;

/** Max and average pooling, one task per run of (image, channel) planes. */
final class PoolCpu {
  private PoolCpu() {}

  static Work plan(Pool2d p, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    int h = p.h(), w = p.w(), oh = p.outH(), ow = p.outW();
    boolean max = p.mode() == Pool2d.PoolMode.MAX;
    return Work.chunked((long) p.n() * p.c(), Math.max(1, ElementwiseCpu.GRAIN / (h * w)), (from, to) -> {
      for (int plane = from; plane < to; plane++) {
        int xb = xo + plane * h * w, yb = yo + plane * oh * ow;
        for (int i = 0; i < oh; i++) {
          int h0 = i * p.strideH() - p.padTop();
          for (int j = 0; j < ow; j++) {
            int w0 = j * p.strideW() - p.padLeft();
            float best = Float.NEGATIVE_INFINITY;
            double sum = 0;
            int count = 0;
            for (int r = 0; r < p.kernelH(); r++) {
              int ih = h0 + r * p.dilationH();
              if (ih < 0 || ih >= h) {
                continue;
              }
              for (int s = 0; s < p.kernelW(); s++) {
                int iw = w0 + s * p.dilationW();
                if (iw < 0 || iw >= w) {
                  continue;
                }
                float v = x[xb + ih * w + iw];
                if (v > best || Float.isNaN(v)) {
                  best = v;
                }
                sum += v;
                count++;
              }
            }
            if (max) {
              y[yb + i * ow + j] = best;
            } else {
              int divisor = p.countIncludePad() ? paddedCount(p, h0, w0) : count;
              y[yb + i * ow + j] = (float) (sum / divisor);
            }
          }
        }
      }
    });
  }

  /** Window positions inside the padded extent, as ONNX Runtime counts them with count_include_pad. */
  private static int paddedCount(Pool2d p, int h0, int w0) {
    int hEnd = Math.min(h0 + (p.kernelH() - 1) * p.dilationH() + 1, p.h() + p.padBottom());
    int wEnd = Math.min(w0 + (p.kernelW() - 1) * p.dilationW() + 1, p.w() + p.padRight());
    int rows = (hEnd - h0 + p.dilationH() - 1) / p.dilationH();
    int cols = (wEnd - w0 + p.dilationW() - 1) / p.dilationW();
    return rows * cols;
  }
}
