package dev.braid.device.cpu;

import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.Pool2d;

/** Straightforward reference implementations, written for obviousness, accumulating in double. */
public final class Naive {
  private Naive() {}

  public static float[] gemm(Gemm g, float[] a, float[] b, float[] c) {
    int m = g.m(), n = g.n(), k = g.k();
    float[] y = new float[g.batch() * m * n];
    for (int bt = 0; bt < g.batch(); bt++) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0;
          for (int p = 0; p < k; p++) {
            double av = g.transA() ? a[g.aOffset(bt) + p * m + i] : a[g.aOffset(bt) + i * k + p];
            double bv = g.transB() ? b[g.bOffset(bt) + j * k + p] : b[g.bOffset(bt) + p * n + j];
            s += av * bv;
          }
          double bias = switch (g.bias()) {
            case NONE -> 0;
            case SCALAR -> c[0];
            case PER_COLUMN -> c[j];
            case PER_ROW -> c[i];
            case FULL -> c[i * n + j];
          };
          y[(bt * m + i) * n + j] = (float) (g.alpha() * s + (g.bias() == GemmBias.NONE ? 0 : g.beta() * bias));
        }
      }
    }
    return y;
  }

  public static float[] conv(Conv2d cv, float[] x, float[] w, float[] bias) {
    int oh = cv.outH(), ow = cv.outW(), cg = cv.channelsPerGroup(), kg = cv.k() / cv.groups();
    float[] y = new float[cv.n() * cv.k() * oh * ow];
    for (int n = 0; n < cv.n(); n++) {
      for (int oc = 0; oc < cv.k(); oc++) {
        int g = oc / kg;
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            double s = bias == null ? 0 : bias[oc];
            for (int ci = 0; ci < cg; ci++) {
              for (int r = 0; r < cv.kernelH(); r++) {
                for (int q = 0; q < cv.kernelW(); q++) {
                  int ih = i * cv.strideH() - cv.padTop() + r * cv.dilationH();
                  int iw = j * cv.strideW() - cv.padLeft() + q * cv.dilationW();
                  if (ih >= 0 && ih < cv.h() && iw >= 0 && iw < cv.w()) {
                    s += x[((n * cv.c() + g * cg + ci) * cv.h() + ih) * cv.w() + iw]
                        * (double) w[((oc * cg + ci) * cv.kernelH() + r) * cv.kernelW() + q];
                  }
                }
              }
            }
            y[((n * cv.k() + oc) * oh + i) * ow + j] = cv.activation().apply((float) s);
          }
        }
      }
    }
    return y;
  }

  public static float[] pool(Pool2d p, float[] x) {
    float[] y = new float[p.n() * p.c() * p.outH() * p.outW()];
    for (int plane = 0; plane < p.n() * p.c(); plane++) {
      for (int i = 0; i < p.outH(); i++) {
        for (int j = 0; j < p.outW(); j++) {
          double max = Double.NEGATIVE_INFINITY, sum = 0;
          int inside = 0, padded = 0;
          for (int r = 0; r < p.kernelH(); r++) {
            for (int q = 0; q < p.kernelW(); q++) {
              int ih = i * p.strideH() - p.padTop() + r * p.dilationH();
              int iw = j * p.strideW() - p.padLeft() + q * p.dilationW();
              if (ih < p.h() + p.padBottom() && iw < p.w() + p.padRight()) {
                padded++;
              }
              if (ih >= 0 && ih < p.h() && iw >= 0 && iw < p.w()) {
                double v = x[(plane * p.h() + ih) * p.w() + iw];
                max = Math.max(max, v);
                sum += v;
                inside++;
              }
            }
          }
          double r = p.mode() == Pool2d.PoolMode.MAX ? max : sum / (p.countIncludePad() ? padded : inside);
          y[(plane * p.outH() + i) * p.outW() + j] = (float) r;
        }
      }
    }
    return y;
  }
}
