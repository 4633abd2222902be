package dev.braid.device.cpu;

import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Broadcast;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.device.kernel.Where;
import dev.braid.model.Shape;

/** Unary, broadcasting binary, batch-norm and copy kernels, split into chunks of {@link #GRAIN}. */
final class ElementwiseCpu {
  /** 64 Ki elements (256 KiB) per task: large enough to amortise scheduling, small enough to spread. */
  static final int GRAIN = 1 << 16;

  private ElementwiseCpu() {}

  static Work unary(Unary u, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    float lo = u.min(), hi = u.max();
    int grain = switch (u.op()) {
      case ERF, GELU -> GRAIN / 4; // a table look-up and a cubic per element
      default -> GRAIN;
    };
    UnaryOp op = u.op();
    return Work.chunked(u.elements(), grain, (from, to) -> unaryRun(op, lo, hi, x, xo + from, y, yo + from, to - from));
  }

  /**
   * {@code y[yp + i] = op(x[xp + i])} for i in [0, n): one loop per operator in a method of its
   * own, so the JIT compiles each as a plain (vectorisable) loop instead of one switch per launch
   * inside a lambda.
   */
  static void unaryRun(UnaryOp op, float lo, float hi, float[] x, int xp, float[] y, int yp, int n) {
    switch (op) {
      case IDENTITY -> System.arraycopy(x, xp, y, yp, n);
      case RELU -> clamp(x, xp, y, yp, n, 0f, Float.POSITIVE_INFINITY);
      case CLIP -> clamp(x, xp, y, yp, n, lo, hi);
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          y[yp + i] = (float) MathFunctions.sigmoid(x[xp + i]);
        }
      }
      case TANH -> {
        for (int i = 0; i < n; i++) {
          y[yp + i] = (float) Math.tanh(x[xp + i]);
        }
      }
      case ERF -> erf(x, xp, y, yp, n);
      case GELU -> gelu(x, xp, y, yp, n);
      case GELU_TANH -> {
        for (int i = 0; i < n; i++) {
          y[yp + i] = (float) MathFunctions.geluTanh(x[xp + i]);
        }
      }
      case SQRT -> {
        for (int i = 0; i < n; i++) {
          y[yp + i] = (float) Math.sqrt(x[xp + i]);
        }
      }
      default -> {
        for (int i = 0; i < n; i++) {
          y[yp + i] = op.apply(x[xp + i], lo, hi);
        }
      }
    }
  }

  /**
   * Clamp to [lo, hi], NaN passing through (as Activation.apply), without a compare-and-branch per
   * element: on real activations the sign is a coin toss, and the mispredictions cost more than
   * the loop.
   */
  private static void clamp(float[] x, int xp, float[] y, int yp, int n, float lo, float hi) {
    if (GemmCpu.SIMD) {
      SimdMax.clamp(x, xp, y, yp, n, lo, hi);
      return;
    }
    for (int i = 0; i < n; i++) {
      y[yp + i] = Math.min(Math.max(x[xp + i], lo), hi);
    }
  }

  /*
   * erf and Gelu take four elements per iteration, all loaded before any is stored: one at a time,
   * each element's table look-up waited on the previous element's store (the arrays may alias),
   * 7-9 ns per element against 3 ns this way (measured, JDK 17).
   */
  private static void erf(float[] x, int xp, float[] y, int yp, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      float x0 = x[xp + i], x1 = x[xp + i + 1], x2 = x[xp + i + 2], x3 = x[xp + i + 3];
      float r0 = ErfTable.erf(x0), r1 = ErfTable.erf(x1), r2 = ErfTable.erf(x2), r3 = ErfTable.erf(x3);
      y[yp + i] = r0;
      y[yp + i + 1] = r1;
      y[yp + i + 2] = r2;
      y[yp + i + 3] = r3;
    }
    for (; i < n; i++) {
      y[yp + i] = ErfTable.erf(x[xp + i]);
    }
  }

  private static void gelu(float[] x, int xp, float[] y, int yp, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      float x0 = x[xp + i], x1 = x[xp + i + 1], x2 = x[xp + i + 2], x3 = x[xp + i + 3];
      float r0 = ErfTable.gelu(x0), r1 = ErfTable.gelu(x1), r2 = ErfTable.gelu(x2), r3 = ErfTable.gelu(x3);
      y[yp + i] = r0;
      y[yp + i + 1] = r1;
      y[yp + i + 2] = r2;
      y[yp + i + 3] = r3;
    }
    for (; i < n; i++) {
      y[yp + i] = ErfTable.gelu(x[xp + i]);
    }
  }

  static Work copy(Copy c, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    return Work.chunked(c.elements(), GRAIN * 4L, (from, to) -> System.arraycopy(x, xo + from, y, yo + from, to - from));
  }

  static Work batchNorm(BatchNorm bn, Args args) {
    float[] x = args.array(0), sc = args.array(1), sh = args.array(2), y = args.array(3);
    int xo = args.offset(0), so = args.offset(1), ho = args.offset(2), yo = args.offset(3);
    int s = bn.spatial();
    return Work.chunked((long) bn.n() * bn.channels(), Math.max(1, GRAIN / s), (from, to) -> {
      for (int row = from; row < to; row++) {
        int ch = row % bn.channels();
        float a = sc[so + ch], b = sh[ho + ch];
        int base = row * s;
        for (int i = 0; i < s; i++) {
          y[yo + base + i] = x[xo + base + i] * a + b;
        }
      }
    });
  }

  /**
   * Broadcasting binary op. When each input is either the whole output's shape or one element,
   * the output is walked flat in chunks; otherwise row by row (all axes but the last), each input
   * advancing by its broadcast stride (0 where broadcast) along the last axis, so a bias row
   * ({@code [n]} against {@code [m, n]}) or a per-row scalar ({@code [m, 1]}) is a plain loop.
   */
  static Work binary(Binary bk, Args args) {
    float[] a = args.array(0), b = args.array(1), y = args.array(2);
    int ao = args.offset(0), bo = args.offset(1), yo = args.offset(2);
    Shape out = bk.out();
    BinaryOp op = bk.op();
    if (out.rank() == 0) {
      return new Work().task(() -> y[yo] = op.apply(a[ao], b[bo]));
    }
    int total = out.size();
    if (total == 0) {
      return new Work();
    }
    int aSize = bk.a().size(), bSize = bk.b().size();
    // An input with as many elements as the output has its layout (only size-1 axes broadcast).
    if ((aSize == total || aSize == 1) && (bSize == total || bSize == 1)) {
      int aStep = aSize == total ? 1 : 0, bStep = bSize == total ? 1 : 0;
      return Work.chunked(total, GRAIN, (from, to) ->
          row(op, a, ao + aStep * from, aStep, b, bo + bStep * from, bStep, y, yo + from, to - from));
    }
    int rank = out.rank();
    int[] dims = out.dims();
    int[] as = Broadcast.strides(bk.a(), out), bs = Broadcast.strides(bk.b(), out);
    int last = dims[rank - 1];
    int rows = total / last;
    int aStep = as[rank - 1], bStep = bs[rank - 1];
    return Work.chunked(rows, Math.max(1, GRAIN / last), (from, to) -> {
      for (int row = from; row < to; row++) {
        int aPos = ao, bPos = bo, rem = row;
        for (int d = rank - 2; d >= 0; d--) {
          int idx = rem % dims[d];
          rem /= dims[d];
          aPos += idx * as[d];
          bPos += idx * bs[d];
        }
        row(op, a, aPos, aStep, b, bPos, bStep, y, yo + row * last, last);
      }
    });
  }

  /** Where: {@code z = c != 0 ? x : y} with broadcasting, output walked flat from per-axis strides. */
  static Work where(Where w, Args args) {
    float[] c = args.array(0), x = args.array(1), y = args.array(2), z = args.array(3);
    int co = args.offset(0), xo = args.offset(1), yo = args.offset(2), zo = args.offset(3);
    Shape out = w.out();
    int total = out.size();
    if (total == 0) {
      return new Work();
    }
    int rank = out.rank();
    int[] dims = out.dims();
    int[] cs = Broadcast.strides(w.cond(), out), xs = Broadcast.strides(w.x(), out), ys = Broadcast.strides(w.y(), out);
    return Work.chunked(total, GRAIN, (from, to) -> {
      for (int k = from; k < to; k++) {
        int rem = k, cp = co, xp = xo, yp = yo;
        for (int d = rank - 1; d >= 0; d--) {
          int idx = rem % dims[d];
          rem /= dims[d];
          cp += idx * cs[d];
          xp += idx * xs[d];
          yp += idx * ys[d];
        }
        z[zo + k] = c[cp] != 0f ? x[xp] : y[yp];
      }
    });
  }

  /** {@code y[yp + i] = a[ap + i * as] op b[bp + i * bs]} for i in [0, n); steps 0 or 1 get plain loops. */
  static void row(BinaryOp op, float[] a, int ap, int as, float[] b, int bp, int bs, float[] y, int yp, int n) {
    if (as == 1 && bs == 1) {
      switch (op) {
        case ADD -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] + b[bp + i]; }
        case SUB -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] - b[bp + i]; }
        case MUL -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] * b[bp + i]; }
        case DIV -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] / b[bp + i]; }
        case POW -> { for (int i = 0; i < n; i++) y[yp + i] = op.apply(a[ap + i], b[bp + i]); }
        default -> { for (int i = 0; i < n; i++) y[yp + i] = op.apply(a[ap + i], b[bp + i]); }
      }
    } else if (as == 1 && bs == 0) {
      float bv = b[bp];
      switch (op) {
        case ADD -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] + bv; }
        case SUB -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] - bv; }
        case MUL -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] * bv; }
        case DIV -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] / bv; }
        case POW -> { for (int i = 0; i < n; i++) y[yp + i] = op.apply(a[ap + i], bv); }
        default -> { for (int i = 0; i < n; i++) y[yp + i] = op.apply(a[ap + i], bv); }
      }
    } else if (as == 0 && bs == 1) {
      float av = a[ap];
      switch (op) {
        case ADD -> { for (int i = 0; i < n; i++) y[yp + i] = av + b[bp + i]; }
        case SUB -> { for (int i = 0; i < n; i++) y[yp + i] = av - b[bp + i]; }
        case MUL -> { for (int i = 0; i < n; i++) y[yp + i] = av * b[bp + i]; }
        case DIV -> { for (int i = 0; i < n; i++) y[yp + i] = av / b[bp + i]; }
        case POW -> { for (int i = 0; i < n; i++) y[yp + i] = op.apply(av, b[bp + i]); }
        default -> { for (int i = 0; i < n; i++) y[yp + i] = op.apply(av, b[bp + i]); }
      }
    } else {
      for (int i = 0; i < n; i++) {
        y[yp + i] = op.apply(a[ap + i * as], b[bp + i * bs]);
      }
    }
  }
}
