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
        if (max) {
          maxPlane(p, x, xb, y, yb);
          continue;
        }
        for (int i = 0; i < oh; i++) {
          int h0 = i * p.strideH() - p.padTop();
          for (int j = 0; j < ow; j++) {
            int w0 = j * p.strideW() - p.padLeft();
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
                sum += x[xb + ih * w + iw];
                count++;
              }
            }
            int divisor = p.countIncludePad() ? paddedCount(p, h0, w0) : count;
            y[yb + i * ow + j] = (float) (sum / divisor);
          }
        }
      }
    });
  }

  /**
   * Max pooling of one plane. Output columns whose windows lie inside the input row range are
   * found once ([jLo, jHi)); for them the taps need no bounds tests. NaN wins (as ONNX Runtime).
   */
  private static void maxPlane(Pool2d p, float[] x, int xb, float[] y, int yb) {
    int h = p.h(), w = p.w(), oh = p.outH(), ow = p.outW(), kh = p.kernelH(), kw = p.kernelW();
    int sh = p.strideH(), sw = p.strideW(), dh = p.dilationH(), dw = p.dilationW();
    int span = (kw - 1) * dw;
    // Columns j with 0 <= j * sw - padLeft and j * sw - padLeft + span < w.
    int jLo = Math.min(ow, (p.padLeft() + sw - 1) / sw);
    int jHi = Math.max(jLo, Math.min(ow, Math.floorDiv(w - 1 - span + p.padLeft(), sw) + 1));
    for (int i = 0; i < oh; i++) {
      int h0 = i * sh - p.padTop();
      int r0 = 0, r1 = kh;
      while (r0 < kh && h0 + r0 * dh < 0) {
        r0++;
      }
      while (r1 > r0 && h0 + (r1 - 1) * dh >= h) {
        r1--;
      }
      int out = yb + i * ow;
      for (int j = 0; j < ow; j++) {
        if (j == jLo && j < jHi) {
          for (; j < jHi; j++) {
            int w0 = j * sw - p.padLeft();
            float best = Float.NEGATIVE_INFINITY;
            for (int r = r0; r < r1; r++) {
              int at = xb + (h0 + r * dh) * w + w0;
              for (int s = 0; s < kw; s++) {
                best = Math.max(best, x[at + s * dw]);
              }
            }
            y[out + j] = best;
          }
          if (j >= ow) {
            break;
          }
        }
        int w0 = j * sw - p.padLeft();
        float best = Float.NEGATIVE_INFINITY;
        for (int r = r0; r < r1; r++) {
          int at = xb + (h0 + r * dh) * w;
          for (int s = 0; s < kw; s++) {
            int iw = w0 + s * dw;
            if (iw >= 0 && iw < w) {
              best = Math.max(best, x[at + iw]);
            }
          }
        }
        y[out + j] = best;
      }
    }
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
