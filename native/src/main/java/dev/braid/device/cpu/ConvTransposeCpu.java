package dev.braid.device.cpu;

import dev.braid.device.kernel.ConvTranspose2d;

/**
 * CPU reference of {@link ConvTranspose2d}: each output element gathers the input elements and taps
 * that land on it (the transpose of a convolution's scatter, so no two tasks write one element),
 * chunked over output elements.
 */
final class ConvTransposeCpu {
  private ConvTransposeCpu() {}

  static Work run(ConvTranspose2d k, Args args) {
    ConvOperands ops = ConvOperands.of(k, args);
    float[] x = ops.x(), wt = ops.w(), b = ops.b(), y = ops.y();
    int xo = ops.xo(), wo = ops.wo(), bo = ops.bo(), yo = ops.yo();
    int oh = k.outH(), ow = k.outW(), m = k.m(), cpg = k.inputsPerGroup(), opg = k.outputsPerGroup();
    int kh = k.kernelH(), kw = k.kernelW(), h = k.h(), w = k.w();
    int total = k.n() * m * oh * ow;
    return Work.chunked(total, ElementwiseCpu.GRAIN, (from, to) -> {
      for (int e = from; e < to; e++) {
        int ox = e % ow, oy = (e / ow) % oh, o = (e / (ow * oh)) % m, img = e / (ow * oh * m);
        int g = o / opg, ol = o % opg;
        double acc = b == null ? 0 : b[bo + o];
        for (int ky = 0; ky < kh; ky++) {
          int ty = oy + k.padTop() - ky * k.dilationH();
          if (ty < 0 || ty % k.strideH() != 0 || ty / k.strideH() >= h) {
            continue;
          }
          int iy = ty / k.strideH();
          for (int kx = 0; kx < kw; kx++) {
            int tx = ox + k.padLeft() - kx * k.dilationW();
            if (tx < 0 || tx % k.strideW() != 0 || tx / k.strideW() >= w) {
              continue;
            }
            int ix = tx / k.strideW();
            for (int ci = 0; ci < cpg; ci++) {
              int i = g * cpg + ci;
              acc += x[xo + ((img * k.c() + i) * h + iy) * w + ix] * wt[wo + ((i * opg + ol) * kh + ky) * kw + kx];
            }
          }
        }
        y[yo + e] = (float) acc;
      }
    });
  }
}
