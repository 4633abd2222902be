package dev.braid.device.cpu;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Conv2d;

/**
 * Convolution on the CPU. Depthwise convolutions (one input channel per group) run a direct
 * kernel per output channel; all others lower each (image, group) to a GEMM of the group's
 * weights {@code [K/g, C/g * kh * kw]} with an im2col matrix {@code [C/g * kh * kw, outH * outW]}
 * (phase 1 builds the im2col matrices, phase 2 multiplies), skipping im2col for 1x1 stride-1
 * unpadded kernels whose input already is that matrix.
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
    int oh = cv.outH(), ow = cv.outW(), spatial = oh * ow;
    int depth = cg * cv.kernelH() * cv.kernelW();
    boolean direct = pointwise(cv);
    float[][] cols = new float[cv.n() * g][];
    Work w = new Work();
    if (!direct) {
      w.phase();
      for (int ni = 0; ni < cv.n(); ni++) {
        for (int gi = 0; gi < g; gi++) {
          int img = ni, grp = gi;
          w.task(() -> {
            float[] col = new float[depth * spatial];
            im2col(cv, x, xOff + ((img * cv.c()) + grp * cg) * cv.h() * cv.w(), col);
            cols[img * g + grp] = col;
          });
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
        int bOffDirect = xOff + (img * cv.c() + grp * cg) * cv.h() * cv.w();
        for (int i0 = 0; i0 < kg; i0 += GemmCpu.M_BLOCK) {
          for (int j0 = 0; j0 < spatial; j0 += GemmCpu.N_BLOCK) {
            int ri = i0, rj = j0;
            w.task(() -> {
              float[] bm = direct ? x : cols[img * g + grp];
              int bOff = direct ? bOffDirect : 0;
              int i1 = Math.min(kg, ri + GemmCpu.M_BLOCK), j1 = Math.min(spatial, rj + GemmCpu.N_BLOCK);
              GemmCpu.tile(wt, aBase, depth, bm, bOff, spatial, y, yBase, spatial, ri, i1, rj, j1, depth);
              GemmCpu.biasActivation(y, yBase, spatial, bias, biasOff + grp * kg, act, ri, i1, rj, j1);
            });
          }
        }
      }
    }
    return w;
  }

  /** Fills {@code col} ([cg * kh * kw, outH * outW]) from the group's channels at {@code xBase}. */
  static void im2col(Conv2d cv, float[] x, int xBase, float[] col) {
    int h = cv.h(), wd = cv.w(), oh = cv.outH(), ow = cv.outW();
    int row = 0;
    for (int ci = 0; ci < cv.channelsPerGroup(); ci++) {
      int chan = xBase + ci * h * wd;
      for (int r = 0; r < cv.kernelH(); r++) {
        for (int s = 0; s < cv.kernelW(); s++, row++) {
          int dst = row * oh * ow;
          for (int i = 0; i < oh; i++) {
            int ih = i * cv.strideH() - cv.padTop() + r * cv.dilationH();
            int out = dst + i * ow;
            if (ih < 0 || ih >= h) {
              continue; // the array starts zeroed
            }
            int src = chan + ih * wd;
            int iw = -cv.padLeft() + s * cv.dilationW();
            for (int j = 0; j < ow; j++, iw += cv.strideW()) {
              if (iw >= 0 && iw < wd) {
                col[out + j] = x[src + iw];
              }
            }
          }
        }
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
