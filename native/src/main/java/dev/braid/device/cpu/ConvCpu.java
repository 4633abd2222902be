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
            if (hi > lo) { // no valid tap (padding wider than the row): src + iw + lo may be < 0
              System.arraycopy(x, src + iw + lo, col, out + lo, hi - lo);
            }
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

  /**
   * Multiply-adds per depthwise task: 2^18 (a few channels of a 56 x 56 plane) is ~50 us on one
   * core, well above the fork-join cost, and still cuts MobileNet's layers into 8-50 tasks.
   */
  private static final long DEPTHWISE_TASK_MACS = 1L << 18;

  /**
   * Depthwise convolution, one output plane at a time. The input plane is first copied, zero
   * padded, into {@code strideW} column phases ({@code phase q, column m} holds padded column
   * {@code m * strideW + q}), so that every tap (r, s) of a whole output row reads one contiguous
   * run of a phase: {@code out[i][j] += w[r][s] * phase[(s * dw) % sw][i * sh + r * dh][j + (s * dw) / sw]}.
   * The loops then have no bounds tests and the JIT vectorises the runs. The copy is one pass over
   * the input against kh * kw passes of multiply-adds. Sums run over taps in order (r, s), then
   * add the bias, as the direct loop did.
   */
  private static Work depthwise(Conv2d cv, Args args) {
    float[] x = args.array(0), wt = args.array(1), y = args.array(args.last());
    int xOff = args.offset(0), wOff = args.offset(1), yOff = args.offset(args.last());
    float[] bias = cv.hasBias() ? args.array(2) : null;
    int biasOff = cv.hasBias() ? args.offset(2) : 0;
    int mult = cv.k() / cv.groups();
    int h = cv.h(), oh = cv.outH(), ow = cv.outW(), kh = cv.kernelH(), kw = cv.kernelW();
    int sh = cv.strideH(), sw = cv.strideW(), dh = cv.dilationH(), dw = cv.dilationW();
    // Padded rows the output reads, and phase columns: the widest tap offset plus a row of outputs.
    int rows = (oh - 1) * sh + (kh - 1) * dh + 1;
    int cols = ow + (kw - 1) * dw / sw;
    float lo = cv.activation().min(), hi = cv.activation().max();
    long macs = (long) oh * ow * kh * kw;
    boolean simd = GemmCpu.SIMD;
    // The SIMD rows read whole blocks past each tap's run: pad the phases' rows and the scratch.
    int stride = simd ? cols + SimdDepthwise.BLOCK : cols;
    int slack = simd ? SimdDepthwise.BLOCK : 0;
    int[] tapOff = new int[kh * kw];
    for (int r = 0; r < kh; r++) {
      for (int s = 0; s < kw; s++) {
        int col = s * dw;
        tapOff[r * kw + s] = ((col % sw) * rows + r * dh) * stride + col / sw;
      }
    }
    return Work.chunked((long) cv.n() * cv.k(), Math.max(1, DEPTHWISE_TASK_MACS / Math.max(1, macs)), (from, to) -> {
      float[] phases = scratch(sw * rows * stride + slack);
      float[] acc = new float[simd ? (ow + SimdDepthwise.BLOCK - 1) / SimdDepthwise.BLOCK * SimdDepthwise.BLOCK : ow];
      int lastPlane = -1;
      for (int t = from; t < to; t++) {
        int img = t / cv.k(), oc = t % cv.k(), plane = img * cv.c() + oc / mult;
        if (plane != lastPlane) {
          pad(cv, x, xOff + plane * h * cv.w(), phases, rows, cols, stride);
          lastPlane = plane;
        }
        int wBase = wOff + oc * kh * kw;
        int yBase = yOff + t * oh * ow;
        float b = bias == null ? 0f : bias[biasOff + oc];
        for (int i = 0; i < oh; i++) {
          int rowBase = i * sh * stride;
          if (simd) {
            SimdDepthwise.row(phases, rowBase, tapOff, wt, wBase, b, lo, hi, y, yBase + i * ow, ow, acc);
            continue;
          }
          java.util.Arrays.fill(acc, 0f);
          for (int tap = 0; tap < tapOff.length; tap++) {
            axpy(wt[wBase + tap], phases, rowBase + tapOff[tap], acc, ow);
          }
          int out = yBase + i * ow;
          for (int j = 0; j < ow; j++) {
            float v = acc[j] + b;
            y[out + j] = v < lo ? lo : (v > hi ? hi : v);
          }
        }
      }
    });
  }

  /** {@code acc[j] += a * src[from + j]} for j in [0, n): a loop C2 vectorises. */
  private static void axpy(float a, float[] src, int from, float[] acc, int n) {
    for (int j = 0; j < n; j++) {
      acc[j] += a * src[from + j];
    }
  }

  /**
   * Copies the input plane at {@code xBase} into {@code strideW} zero-padded column phases of
   * {@code rows x cols} (rows {@code stride} apart): phase q, row R, column m holds the padded input at (R, m * sw + q), that is
   * the input at (R - padTop, m * sw + q - padLeft), or 0 outside it.
   */
  private static void pad(Conv2d cv, float[] x, int xBase, float[] phases, int rows, int cols, int stride) {
    int h = cv.h(), wd = cv.w(), sw = cv.strideW(), pt = cv.padTop(), pl = cv.padLeft();
    for (int q = 0; q < sw; q++) {
      for (int r = 0; r < rows; r++) {
        int dst = (q * rows + r) * stride;
        int ih = r - pt;
        if (ih < 0 || ih >= h) {
          java.util.Arrays.fill(phases, dst, dst + cols, 0f);
          continue;
        }
        int src = xBase + ih * wd;
        // Input column of phase column m: m * sw + q - pl; valid for m in [mLo, mHi).
        int mLo = Math.min(cols, Math.max(0, Math.floorDiv(pl - q + sw - 1, sw)));
        int mHi = Math.max(mLo, Math.min(cols, Math.floorDiv(wd - 1 + pl - q, sw) + 1));
        java.util.Arrays.fill(phases, dst, dst + mLo, 0f);
        if (sw == 1) {
          if (mHi > mLo) { // an empty run may start before the row (src + mLo - pl < 0)
            System.arraycopy(x, src + mLo - pl, phases, dst + mLo, mHi - mLo);
          }
        } else {
          for (int m = mLo, iw = mLo * sw + q - pl; m < mHi; m++, iw += sw) {
            phases[dst + m] = x[src + iw];
          }
        }
        java.util.Arrays.fill(phases, dst + mHi, dst + cols, 0f);
      }
    }
  }
}
