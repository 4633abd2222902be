package dev.braid.device.cpu;

import dev.braid.device.DeviceException;
import dev.braid.device.kernel.GridSample;
import dev.braid.device.kernel.Resample;
import dev.braid.device.kernel.RoiAlign;
import dev.braid.model.fold.ResampleTables;

/**
 * CPU references of the interpolation kernels (interp.cuh): {@link Resample} over its per-axis
 * tables, and {@link GridSample} and {@link RoiAlign} as ONNX's reference computes them (coordinates in float32, the
 * weighted sums in double). Chunked over output elements; no two tasks write one element.
 */
final class InterpCpu {
  private InterpCpu() {}

  private static final int GRAIN = 1 << 12;

  /** {@link ResampleTables#resample}, the arithmetic host folding shares, chunked. */
  static Work resample(Resample k, Args args) {
    float[] x = args.array(0), table = args.array(1), y = args.array(2);
    int xo = args.offset(0), to0 = args.offset(1), yo = args.offset(2);
    int[] inDims = k.input().dims(), outDims = k.output().dims();
    int[] taps = k.taps().stream().mapToInt(Integer::intValue).toArray();
    return Work.chunked(k.output().size(), GRAIN, (from, to) -> {
      try {
        ResampleTables.resample(inDims, outDims, taps, k.fill(), table, to0, x, xo, y, yo, from, to);
      } catch (IllegalArgumentException e) {
        throw new DeviceException(DeviceException.Reason.INVALID_DATA, k + ": " + e.getMessage());
      }
    });
  }

  static Work gridSample(GridSample k, Args args) {
    float[] x = args.array(0), grid = args.array(1), y = args.array(2);
    int xo = args.offset(0), go = args.offset(1), yo = args.offset(2);
    int c = k.c(), h = k.h(), w = k.w(), oh = k.outH(), ow = k.outW();
    return Work.chunked(k.outputElements(), GRAIN, (from, to) -> {
      double[] cx = new double[4], cy = new double[4];
      for (int e = from; e < to; e++) {
        int ox = e % ow, oy = (e / ow) % oh, ch = (e / (ow * oh)) % c, img = e / (ow * oh * c);
        int g = go + ((img * oh + oy) * ow + ox) * 2;
        float px = denormalize(grid[g], w, k.alignCorners()), py = denormalize(grid[g + 1], h, k.alignCorners());
        if (k.mode() == GridSample.Mode.NEAREST) {
          px = (float) Math.rint(px);
          py = (float) Math.rint(py);
        }
        px = inside(px, w, k);
        py = inside(py, h, k);
        int plane = xo + (img * c + ch) * h * w;
        if (k.mode() == GridSample.Mode.NEAREST) {
          y[yo + e] = (float) pixel(x, plane, (int) py, (int) px, h, w, k);
          continue;
        }
        int n = k.mode() == GridSample.Mode.BILINEAR ? 2 : 4;
        int x0 = (int) Math.floor(px), y0 = (int) Math.floor(py);
        coefficients(px - x0, n, cx);
        coefficients(py - y0, n, cy);
        int first = n == 2 ? 0 : -1;
        double acc = 0;
        for (int j = 0; j < n; j++) {
          double rowSum = 0;
          for (int i = 0; i < n; i++) {
            rowSum += cx[i] * pixel(x, plane, y0 + first + j, x0 + first + i, h, w, k);
          }
          acc += cy[j] * rowSum;
        }
        y[yo + e] = (float) acc;
      }
    });
  }

  static Work roiAlign(RoiAlign k, Args args) {
    float[] x = args.array(0), rois = args.array(1), batch = args.array(2), y = args.array(3);
    int xo = args.offset(0), ro = args.offset(1), bo = args.offset(2), yo = args.offset(3);
    int c = k.c(), h = k.h(), w = k.w(), oh = k.outH(), ow = k.outW();
    return Work.chunked(k.outputElements(), GRAIN, (from, to) -> {
      for (int e = from; e < to; e++) {
        int pw = e % ow, ph = (e / ow) % oh, ch = (e / (ow * oh)) % c, r = e / (ow * oh * c);
        float b = batch[bo + r];
        if (b != (int) b || b < 0 || b >= k.n()) {
          throw new DeviceException(DeviceException.Reason.INVALID_DATA, k + ": batch index " + b + " of region " + r
              + " is not an integer in [0, " + k.n() + ")");
        }
        double offset = k.halfPixel() ? 0.5 : 0;
        int q = ro + 4 * r;
        double startW = rois[q] * (double) k.spatialScale() - offset;
        double startH = rois[q + 1] * (double) k.spatialScale() - offset;
        double roiW = rois[q + 2] * (double) k.spatialScale() - offset - startW;
        double roiH = rois[q + 3] * (double) k.spatialScale() - offset - startH;
        if (!k.halfPixel()) {
          roiW = Math.max(roiW, 1.0);
          roiH = Math.max(roiH, 1.0);
        }
        double binH = roiH / oh, binW = roiW / ow;
        int gridH = k.samplingRatio() > 0 ? k.samplingRatio() : (int) Math.ceil(roiH / oh);
        int gridW = k.samplingRatio() > 0 ? k.samplingRatio() : (int) Math.ceil(roiW / ow);
        int plane = xo + ((int) b * c + ch) * h * w;
        double acc = 0;
        boolean first = true;
        for (int iy = 0; iy < gridH; iy++) {
          double sy = startH + ph * binH + (iy + 0.5) * binH / gridH;
          for (int ix = 0; ix < gridW; ix++) {
            double sx = startW + pw * binW + (ix + 0.5) * binW / gridW;
            double v = sy < -1.0 || sy > h || sx < -1.0 || sx > w ? 0 : bilinear(x, plane, h, w, sy, sx, k.max());
            acc = k.max() ? (first ? v : Math.max(acc, v)) : acc + v;
            first = false;
          }
        }
        y[yo + e] = (float) (k.max() ? acc : acc / Math.max(gridH * gridW, 1));
      }
    });
  }

  /**
   * ONNX RoiAlign's sample of one plane at ({@code sy}, {@code sx}), both at least -1: the four
   * neighbouring pixels weighted bilinearly, then their maximum or sum. A coordinate below 0 reads
   * as 0; one at or past the last pixel reads the last pixel alone (its fraction is 0, and the
   * upper neighbour is that pixel again).
   */
  private static double bilinear(float[] x, int plane, int h, int w, double sy, double sx, boolean max) {
    double yy = Math.max(sy, 0), xx = Math.max(sx, 0);
    int yl = Math.min((int) yy, h - 1), xl = Math.min((int) xx, w - 1);
    int yh = Math.min(yl + 1, h - 1), xh = Math.min(xl + 1, w - 1);
    double ly = yl == h - 1 ? 0 : yy - yl, lx = xl == w - 1 ? 0 : xx - xl;
    double hy = 1 - ly, hx = 1 - lx;
    double v1 = hy * hx * x[plane + yl * w + xl], v2 = hy * lx * x[plane + yl * w + xh];
    double v3 = ly * hx * x[plane + yh * w + xl], v4 = ly * lx * x[plane + yh * w + xh];
    return max ? Math.max(Math.max(v1, v2), Math.max(v3, v4)) : v1 + v2 + v3 + v4;
  }

  /** The input coordinate of normalized position {@code g} on an axis of {@code size}. */
  static float denormalize(float g, int size, boolean alignCorners) {
    return alignCorners ? (g + 1) / 2f * (size - 1) : ((g + 1) * size - 1) / 2f;
  }

  /** A coordinate beyond the border moved inside by BORDER (clamped) or REFLECTION; ZEROS keeps it. */
  static float inside(float v, int size, GridSample k) {
    float min = k.alignCorners() ? 0 : -0.5f, max = k.alignCorners() ? size - 1 : size - 0.5f;
    if (v >= min && v <= max) {
      return v;
    }
    return switch (k.padding()) {
      case ZEROS -> v;
      case BORDER -> Math.max(0, Math.min(size - 1, v));
      case REFLECTION -> reflect(v, min, max);
    };
  }

  /** ONNX's {@code _gs_reflect}: reflected by the near border until inside {@code [min, max]}. */
  static float reflect(float v, float min, float max) {
    float range = max - min;
    if (range <= 0) {
      return min;
    }
    if (v < min) {
      float dx = min - v;
      int n = (int) (dx / range);
      float r = dx - n * range;
      return n % 2 == 0 ? min + r : max - r;
    }
    if (v > max) {
      float dx = v - max;
      int n = (int) (dx / range);
      float r = dx - n * range;
      return n % 2 == 0 ? max - r : min + r;
    }
    return v;
  }

  /** The value at integer tap (iy, ix) under the padding mode. */
  private static double pixel(float[] x, int plane, int iy, int ix, int h, int w, GridSample k) {
    switch (k.padding()) {
      case ZEROS -> {
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
          return 0;
        }
      }
      case BORDER -> {
        iy = Math.max(0, Math.min(h - 1, iy));
        ix = Math.max(0, Math.min(w - 1, ix));
      }
      case REFLECTION -> {
        boolean a = k.alignCorners();
        iy = Math.max(0, Math.min(h - 1, (int) reflect(iy, a ? 0 : -0.5f, a ? h - 1 : h - 0.5f)));
        ix = Math.max(0, Math.min(w - 1, (int) reflect(ix, a ? 0 : -0.5f, a ? w - 1 : w - 0.5f)));
      }
    }
    return x[plane + iy * w + ix];
  }

  /** Linear ({@code n = 2}: [1 - t, t]) or Keys cubic with A = -0.75 ({@code n = 4}) weights at fraction {@code t}. */
  private static void coefficients(double t, int n, double[] c) {
    if (n == 2) {
      c[0] = 1 - t;
      c[1] = t;
      return;
    }
    double a = -0.75;
    c[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
    c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
    c[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
    c[3] = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
  }
}
