package dev.braid.device.cpu;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;

/**
 * Convolution on the CPU. Depthwise convolutions (one input channel per group) run a direct
 * kernel per output channel; all others lower each (image, group) to a GEMM of the group's
 * weights {@code [K/g, C/g * kh * kw]} with an im2col matrix {@code [C/g * kh * kw, outH * outW]},
 * with bias and activation fused into the GEMM's write-back. Each GEMM task builds the im2col
 * columns of its own output pixels in a per-thread scratch tile; when the tasks also split the
 * output channels (small images), a first phase builds one shared matrix in parallel instead.
 * 1x1 stride-1 unpadded kernels skip im2col: their input already is that matrix.
 */
final class ConvCpu {
  private ConvCpu() {}

  static Work plan(Conv2d cv, Args args) {
    return cv.channelsPerGroup() == 1 && cv.groups() > 1 ? depthwise(cv, args) : im2colGemm(cv, args);
  }

  private static boolean pointwise(Conv2d cv) {
    return cv.kernelH() == 1 && cv.kernelW() == 1 && cv.strideH() == 1 && cv.strideW() == 1
        && cv.padTop() == 0 && cv.padLeft() == 0 && cv.padBottom() == 0 && cv.padRight() == 0;
  }

  private static Work im2colGemm(Conv2d cv, Args args) {
    float[] x = args.array(0), wt = args.array(1), y = args.array(args.last());
    int xOff = args.offset(0), wOff = args.offset(1), yOff = args.offset(args.last());
    float[] bias = cv.hasBias() ? args.array(2) : null;
    int biasOff = cv.hasBias() ? args.offset(2) : 0;
    int g = cv.groups(), cg = cv.channelsPerGroup(), kg = cv.k() / g;
    int spatial = cv.outH() * cv.outW();
    int depth = cg * cv.kernelH() * cv.kernelW();
    boolean direct = pointwise(cv);
    int[] rowCuts = GemmCpu.split(kg, spatial, depth, true), colCuts = GemmCpu.split(kg, spatial, depth, false);
    // Each task builds the im2col columns of its own pixels in a per-thread scratch tile (cache-hot,
    // no per-launch allocation), unless the tasks split rows too (small images, many channels):
    // then one shared matrix, built in parallel, saves building the same columns in every row task.
    boolean shared = !direct && rowCuts.length > 2;
    float[][] cols = new float[cv.n() * g][];
    Work w = new Work();
    if (shared) {
      w.phase();
      int chunks = (int) Math.min(depth, Math.max(1, (long) depth * spatial / (1 << 16)));
      for (int ni = 0; ni < cv.n(); ni++) {
        for (int gi = 0; gi < g; gi++) {
          int img = ni, grp = gi;
          float[] col = new float[depth * spatial];
          cols[img * g + grp] = col;
          int xBase = xOff + ((img * cv.c()) + grp * cg) * cv.h() * cv.w();
          for (int ch = 0; ch < chunks; ch++) {
            int d0 = (int) ((long) depth * ch / chunks), d1 = (int) ((long) depth * (ch + 1) / chunks);
            w.task(() -> im2col(cv, x, xBase, col, 0, spatial, d0, d1));
          }
        }
      }
    }
    w.phase();
    Activation act = cv.activation();
    for (int ni = 0; ni < cv.n(); ni++) {
      for (int gi = 0; gi < g; gi++) {
        int img = ni, grp = gi;
        int yBase = yOff + (img * cv.k() + grp * kg) * spatial;
        int aBase = wOff + grp * kg * depth;
        int xBase = xOff + (img * cv.c() + grp * cg) * cv.h() * cv.w();
        int bias0 = biasOff + grp * kg;
        for (int ri = 0; ri + 1 < rowCuts.length; ri++) {
          for (int ci = 0; ci + 1 < colCuts.length; ci++) {
            int i0 = rowCuts[ri], i1 = rowCuts[ri + 1], j0 = colCuts[ci], j1 = colCuts[ci + 1];
            w.task(() -> {
              if (direct) {
                GemmCpu.product(wt, aBase, depth, x, xBase, spatial, y, yBase, spatial, i0, i1, j0, j1, depth,
                    bias, bias0, act);
              } else if (shared) {
                GemmCpu.product(wt, aBase, depth, cols[img * g + grp], 0, spatial, y, yBase, spatial, i0, i1, j0, j1,
                    depth, bias, bias0, act);
              } else {
                int jw = j1 - j0;
                float[] tile = scratch(depth * jw);
                im2col(cv, x, xBase, tile, j0, j1, 0, depth);
                GemmCpu.product(wt, aBase, depth, tile, 0, jw, y, yBase + j0, spatial, i0, i1, 0, jw, depth,
                    bias, bias0, act);
              }
            });
          }
        }
      }
    }
    return w;
  }

  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

  private static float[] scratch(int size) {
    float[] t = SCRATCH.get();
    if (t.length < size) {
      t = new float[size];
      SCRATCH.set(t);
    }
    return t;
  }

  /**
   * Fills rows [d0, d1) of the im2col matrix of the group's channels at {@code xBase}, for the
   * output pixels [p0, p1) (row-major over outH x outW): {@code col[d * (p1 - p0) + (p - p0)]} is
   * the input under tap d = (channel, r, s) of output pixel p, or 0 in the padding. Writes every
   * element (the scratch it fills is reused).
   */
  static void im2col(Conv2d cv, float[] x, int xBase, float[] col, int p0, int p1, int d0, int d1) {
    int h = cv.h(), wd = cv.w(), ow = cv.outW(), kh = cv.kernelH(), kw = cv.kernelW();
    int sh = cv.strideH(), sw = cv.strideW();
    int jw = p1 - p0;
    for (int d = d0; d < d1; d++) {
      int ci = d / (kh * kw), r = (d / kw) % kh, s = d % kw;
      int chan = xBase + ci * h * wd;
      int dst = d * jw - p0;
      int oy = p0 / ow, ox = p0 % ow;
      for (int p = p0; p < p1; oy++, ox = 0) {
        int run = Math.min(ow - ox, p1 - p);
        int ih = oy * sh - cv.padTop() + r * cv.dilationH();
        int out = dst + p;
        if (ih < 0 || ih >= h) {
          java.util.Arrays.fill(col, out, out + run, 0f);
        } else {
          int src = chan + ih * wd;
          int iw = ox * sw - cv.padLeft() + s * cv.dilationW();
          if (sw == 1) {
            // Valid taps are one contiguous run of the input row: copy it, zero both sides.
            int lo = Math.max(0, Math.min(run, -iw)), hi = Math.max(lo, Math.min(run, wd - iw));
            java.util.Arrays.fill(col, out, out + lo, 0f);
            System.arraycopy(x, src + iw + lo, col, out + lo, hi - lo);
            java.util.Arrays.fill(col, out + hi, out + run, 0f);
          } else {
            for (int t = 0; t < run; t++, iw += sw) {
              col[out + t] = iw >= 0 && iw < wd ? x[src + iw] : 0f;
            }
          }
        }
        p += run;
      }
    }
  }

  private static Work depthwise(Conv2d cv, Args args) {
    float[] x = args.array(0), wt = args.array(1), y = args.array(args.last());
    int xOff = args.offset(0), wOff = args.offset(1), yOff = args.offset(args.last());
    float[] bias = cv.hasBias() ? args.array(2) : null;
    int biasOff = cv.hasBias() ? args.offset(2) : 0;
    int mult = cv.k() / cv.groups();
    int h = cv.h(), wd = cv.w(), oh = cv.outH(), ow = cv.outW(), kh = cv.kernelH(), kw = cv.kernelW();
    Activation act = cv.activation();
    return Work.chunked((long) cv.n() * cv.k(), 8, (from, to) -> {
      for (int t = from; t < to; t++) {
        int img = t / cv.k(), oc = t % cv.k(), ic = oc / mult;
        int xc = xOff + (img * cv.c() + ic) * h * wd;
        int wBase = wOff + oc * kh * kw;
        int yBase = yOff + t * oh * ow;
        float b = bias == null ? 0f : bias[biasOff + oc];
        for (int i = 0; i < oh; i++) {
          int ih0 = i * cv.strideH() - cv.padTop();
          for (int j = 0; j < ow; j++) {
            int iw0 = j * cv.strideW() - cv.padLeft();
            float sum = 0f;
            for (int r = 0; r < kh; r++) {
              int ih = ih0 + r * cv.dilationH();
              if (ih < 0 || ih >= h) {
                continue;
              }
              int rowBase = xc + ih * wd;
              int wRow = wBase + r * kw;
              for (int s = 0; s < kw; s++) {
                int iw = iw0 + s * cv.dilationW();
                if (iw >= 0 && iw < wd) {
                  sum += x[rowBase + iw] * wt[wRow + s];
                }
              }
            }
            y[yBase + i * ow + j] = act.apply(sum + b);
          }
        }
      }
    });
  }
}
