package dev.braid.device.cpu;

import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Broadcast;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Unary;
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
    return Work.chunked(u.elements(), grain, (from, to) -> {
      switch (u.op()) {
        case IDENTITY -> System.arraycopy(x, xo + from, y, yo + from, to - from);
        case RELU -> {
          for (int i = from; i < to; i++) {
            float v = x[xo + i];
            y[yo + i] = v < 0f ? 0f : v;
          }
        }
        case CLIP -> {
          for (int i = from; i < to; i++) {
            float v = x[xo + i];
            y[yo + i] = v < lo ? lo : (v > hi ? hi : v);
          }
        }
        case SIGMOID -> {
          for (int i = from; i < to; i++) {
            y[yo + i] = (float) MathFunctions.sigmoid(x[xo + i]);
          }
        }
        case TANH -> {
          for (int i = from; i < to; i++) {
            y[yo + i] = (float) Math.tanh(x[xo + i]);
          }
        }
        case ERF -> {
          for (int i = from; i < to; i++) {
            y[yo + i] = ErfTable.erf(x[xo + i]);
          }
        }
        case GELU -> {
          for (int i = from; i < to; i++) {
            y[yo + i] = ErfTable.gelu(x[xo + i]);
          }
        }
        case GELU_TANH -> {
          for (int i = from; i < to; i++) {
            y[yo + i] = (float) MathFunctions.geluTanh(x[xo + i]);
          }
        }
        case SQRT -> {
          for (int i = from; i < to; i++) {
            y[yo + i] = (float) Math.sqrt(x[xo + i]);
          }
        }
      }
    });
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
   * Broadcasting binary op: the output is walked row by row (all axes but the last), each input
   * advancing by its broadcast stride (0 where broadcast) along the last axis.
   */
  static Work binary(Binary bk, Args args) {
    float[] a = args.array(0), b = args.array(1), y = args.array(2);
    int ao = args.offset(0), bo = args.offset(1), yo = args.offset(2);
    Shape out = bk.out();
    BinaryOp op = bk.op();
    if (out.rank() == 0) {
      return new Work().task(() -> y[yo] = op.apply(a[ao], b[bo]));
    }
    int rank = out.rank();
    int[] dims = out.dims();
    int[] as = Broadcast.strides(bk.a(), out), bs = Broadcast.strides(bk.b(), out);
    int last = dims[rank - 1];
    int rows = out.size() / Math.max(1, last);
    if (last == 0) {
      return new Work();
    }
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
        int yPos = yo + row * last;
        row(op, a, aPos, aStep, b, bPos, bStep, y, yPos, last);
      }
    });
  }

  private static void row(BinaryOp op, float[] a, int ap, int as, float[] b, int bp, int bs, float[] y, int yp, int n) {
    if (as == 1 && bs == 1) {
      switch (op) {
        case ADD -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] + b[bp + i]; }
        case SUB -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] - b[bp + i]; }
        case MUL -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] * b[bp + i]; }
        case DIV -> { for (int i = 0; i < n; i++) y[yp + i] = a[ap + i] / b[bp + i]; }
        case POW -> { for (int i = 0; i < n; i++) y[yp + i] = op.apply(a[ap + i], b[bp + i]); }
      }
      return;
    }
    for (int i = 0; i < n; i++) {
      y[yp + i] = op.apply(a[ap + i * as], b[bp + i * bs]);
    }
  }
}
