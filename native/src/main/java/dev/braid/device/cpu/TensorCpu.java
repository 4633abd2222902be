package dev.braid.device.cpu;

import dev.braid.device.DeviceException;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.TopK;

/**
 * CPU reference of the reduction family ({@link Reduce}), the fibre operators ({@link AlongAxis}),
 * {@link TopK} and the generic index-map kernel ({@link Remap}). Accumulations are in double; an
 * integral result that float32 cannot carry exactly fails the launch with the value.
 */
final class TensorCpu {
  private TensorCpu() {}

  // ---- Reduce ----

  /** One task range of output elements; each gathers its reduced elements through {@link AxisSplit#reducedOffsets}. */
  static Work reduce(Reduce r, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    AxisSplit split = AxisSplit.of(r.input(), r.axes());
    int[] offsets = split.reducedOffsets();
    long count = r.reducedElements();
    ReduceOp op = r.op();
    return Work.chunked(r.outputElements(), Math.max(1, ElementwiseCpu.GRAIN / Math.max(1, count)), (from, to) -> {
      double[] values = new double[offsets.length];
      for (int o = from; o < to; o++) {
        int base = xo + split.keptBase(o);
        for (int i = 0; i < values.length; i++) {
          values[i] = x[base + offsets[i]];
        }
        double v = combine(op, values);
        if (r.integral() && Math.abs(v) > Reduce.EXACT_INTEGER_LIMIT) {
          throw new DeviceException(DeviceException.Reason.INVALID_DATA, r + ": output " + o + " is " + v
              + ", beyond 2^24: an integer result float32 cannot carry exactly");
        }
        y[yo + o] = (float) v;
      }
    });
  }

  /** The reduction of {@code v} (in the reduced axes' row-major order) under {@code op}. */
  static double combine(ReduceOp op, double[] v) {
    int n = v.length;
    switch (op) {
      case SUM, MEAN, LOG_SUM -> {
        double s = 0;
        for (double e : v) {
          s += e;
        }
        return op == ReduceOp.SUM ? s : op == ReduceOp.MEAN ? s / n : Math.log(s);
      }
      case L1 -> {
        double s = 0;
        for (double e : v) {
          s += Math.abs(e);
        }
        return s;
      }
      case L2, SUM_SQUARE -> {
        double s = 0;
        for (double e : v) {
          s += e * e;
        }
        return op == ReduceOp.L2 ? Math.sqrt(s) : s;
      }
      case PROD -> {
        double p = 1;
        for (double e : v) {
          p *= e;
        }
        return p;
      }
      case MAX, MIN -> {
        double m = op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        for (double e : v) {
          if (Double.isNaN(e)) {
            return e;
          }
          m = op == ReduceOp.MAX ? Math.max(m, e) : Math.min(m, e);
        }
        return m;
      }
      case LOG_SUM_EXP -> {
        double m = Double.NEGATIVE_INFINITY;
        for (double e : v) {
          m = Math.max(m, e);
        }
        if (Double.isInfinite(m)) {
          return m;
        }
        double s = 0;
        for (double e : v) {
          s += Math.exp(e - m);
        }
        return m + Math.log(s);
      }
      default -> {
        boolean max = op == ReduceOp.ARG_MAX || op == ReduceOp.ARG_MAX_LAST;
        boolean last = op == ReduceOp.ARG_MAX_LAST || op == ReduceOp.ARG_MIN_LAST;
        int best = 0;
        for (int i = 1; i < n; i++) {
          boolean better = max ? v[i] > v[best] : v[i] < v[best];
          if (better || (last && v[i] == v[best])) {
            best = i;
          }
        }
        return best;
      }
    }
  }

  // ---- AlongAxis ----

  static Work alongAxis(AlongAxis a, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    int axis = a.axis(), inner = a.inner();
    AxisOp op = a.op();
    return Work.chunked((long) a.outer() * inner, Math.max(1, ElementwiseCpu.GRAIN / Math.max(1, axis)), (from, to) -> {
      for (int f = from; f < to; f++) {
        int base = (f / inner) * axis * inner + f % inner;
        switch (op) {
          case LOG_SOFTMAX -> {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < axis; i++) {
              max = Math.max(max, x[xo + base + i * inner]);
            }
            double sum = 0;
            for (int i = 0; i < axis; i++) {
              sum += Math.exp(x[xo + base + i * inner] - max);
            }
            double lse = max + Math.log(sum);
            for (int i = 0; i < axis; i++) {
              y[yo + base + i * inner] = (float) (x[xo + base + i * inner] - lse);
            }
          }
          case HARDMAX -> {
            int best = 0;
            for (int i = 1; i < axis; i++) {
              if (x[xo + base + i * inner] > x[xo + base + best * inner]) {
                best = i;
              }
            }
            for (int i = 0; i < axis; i++) {
              y[yo + base + i * inner] = i == best ? 1f : 0f;
            }
          }
          default -> {
            double sum = 0;
            for (int s = 0; s < axis; s++) {
              int i = op.reverse() ? axis - 1 - s : s;
              double v = x[xo + base + i * inner];
              if (!op.exclusive()) {
                sum += v;
              }
              if (a.integral() && Math.abs(sum) > Reduce.EXACT_INTEGER_LIMIT) {
                throw new DeviceException(DeviceException.Reason.INVALID_DATA, a + ": a partial sum is " + sum
                    + ", beyond 2^24: an integer result float32 cannot carry exactly");
              }
              y[yo + base + i * inner] = (float) sum;
              if (op.exclusive()) {
                sum += v;
              }
            }
          }
        }
      }
    });
  }

  // ---- TopK ----

  static Work topK(TopK t, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    int axis = t.axis(), inner = t.inner(), k = t.k();
    return Work.chunked((long) t.outer() * inner, Math.max(1, ElementwiseCpu.GRAIN / Math.max(1, axis)), (from, to) -> {
      Integer[] order = new Integer[axis];
      for (int f = from; f < to; f++) {
        int o = f / inner, in = f % inner;
        int base = o * axis * inner + in;
        for (int i = 0; i < axis; i++) {
          order[i] = i;
        }
        java.util.Arrays.sort(order, (p, q) -> {
          float a = x[xo + base + p * inner], b = x[xo + base + q * inner];
          int c = t.largest() ? Float.compare(b, a) : Float.compare(a, b);
          return c != 0 ? c : Integer.compare(p, q);
        });
        int outBase = o * k * inner + in;
        for (int j = 0; j < k; j++) {
          y[yo + outBase + j * inner] = t.indices() ? order[j] : x[xo + base + order[j] * inner];
        }
      }
    });
  }

  // ---- Remap ----

  static Work remap(Remap r, Args args) {
    float[] x = args.array(0), map = args.array(1), y = args.array(2);
    int xo = args.offset(0), mo = args.offset(1), yo = args.offset(2);
    float fill = r.fill();
    int n = r.inputElements();
    return Work.chunked(r.outputElements(), ElementwiseCpu.GRAIN, (from, to) -> {
      for (int i = from; i < to; i++) {
        float m = map[mo + i];
        int s = (int) m;
        if (s != m || s < -1 || s >= n) {
          throw new DeviceException(DeviceException.Reason.INVALID_DATA, r + ": map entry " + i + " is " + m
              + ", outside [-1, " + n + ")");
        }
        y[yo + i] = s < 0 ? fill : x[xo + s];
      }
    });
  }
}
