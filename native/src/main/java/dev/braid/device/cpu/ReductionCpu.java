package dev.braid.device.cpu;

import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;

/** Kernels that reduce along an axis: softmax, layer norm, global average pool, reduce-mean. Sums are in double. */
final class ReductionCpu {
  private ReductionCpu() {}

  static Work softmax(Softmax sm, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    int axis = sm.axis(), inner = sm.inner();
    return Work.chunked((long) sm.outer() * inner, Math.max(1, ElementwiseCpu.GRAIN / axis), (from, to) -> {
      for (int f = from; f < to; f++) {
        int base = (f / inner) * axis * inner + f % inner;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < axis; i++) {
          max = Math.max(max, x[xo + base + i * inner]);
        }
        double sum = 0;
        for (int i = 0; i < axis; i++) {
          float e = (float) FastExp.exp(x[xo + base + i * inner] - max);
          y[yo + base + i * inner] = e;
          sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < axis; i++) {
          y[yo + base + i * inner] *= inv;
        }
      }
    });
  }

  static Work layerNorm(LayerNorm ln, Args args) {
    float[] x = args.array(0), sc = args.array(1), y = args.array(args.last());
    float[] bias = ln.hasBias() ? args.array(2) : null;
    int xo = args.offset(0), so = args.offset(1), yo = args.offset(args.last());
    int bo = ln.hasBias() ? args.offset(2) : 0;
    int cols = ln.cols();
    return Work.chunked(ln.rows(), Math.max(1, ElementwiseCpu.GRAIN / cols), (from, to) -> {
      for (int r = from; r < to; r++) {
        int base = r * cols;
        double mean = sum(x, xo + base, cols) / cols;
        double sq0 = 0, sq1 = 0;
        int i = 0;
        for (; i + 2 <= cols; i += 2) {
          double d0 = x[xo + base + i] - mean, d1 = x[xo + base + i + 1] - mean;
          sq0 += d0 * d0;
          sq1 += d1 * d1;
        }
        for (; i < cols; i++) {
          double d = x[xo + base + i] - mean;
          sq0 += d * d;
        }
        double sq = sq0 + sq1;
        double inv = 1.0 / Math.sqrt(sq / cols + ln.epsilon());
        for (int j = 0; j < cols; j++) {
          double v = (x[xo + base + j] - mean) * inv * sc[so + j];
          y[yo + base + j] = (float) (bias == null ? v : v + bias[bo + j]);
        }
      }
    });
  }

  static Work globalAveragePool(GlobalAveragePool gap, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    int s = gap.spatial();
    return Work.chunked(gap.channels(), Math.max(1, ElementwiseCpu.GRAIN / s), (from, to) -> {
      for (int c = from; c < to; c++) {
        y[yo + c] = (float) (sum(x, xo + c * s, s) / s);
      }
    });
  }

  /** Whether the reduced axes are exactly the last ones (at least one). */
  private static boolean trailing(boolean[] reduced) {
    int d = reduced.length;
    while (d > 0 && reduced[d - 1]) {
      d--;
    }
    if (d == reduced.length) {
      return false;
    }
    for (int i = 0; i < d; i++) {
      if (reduced[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The sum of {@code x[from, from + n)} in double, over four partial sums: one chain of dependent
   * double adds (each waiting ~4 cycles on the last) was the cost of the row reductions.
   */
  static double sum(float[] x, int from, int n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      s0 += x[from + i];
      s1 += x[from + i + 1];
      s2 += x[from + i + 2];
      s3 += x[from + i + 3];
    }
    for (; i < n; i++) {
      s0 += x[from + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** One task per output element, summing its reduced elements through {@link AxisSplit#reducedOffsets}. */
  static Work reduceMean(ReduceMean rm, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    AxisSplit split = AxisSplit.of(rm.input(), rm.axes());
    long count = rm.reducedElements();
    if (trailing(split.reduced())) {
      // The reduced axes are the last ones: each output is the mean of one contiguous run.
      int run = (int) count;
      return Work.chunked(rm.outputElements(), Math.max(1, ElementwiseCpu.GRAIN / Math.max(1, run)), (from, to) -> {
        for (int o = from; o < to; o++) {
          y[yo + o] = (float) (sum(x, xo + o * run, run) / run);
        }
      });
    }
    int[] offsets = split.reducedOffsets();
    return Work.chunked(rm.outputElements(), Math.max(1, ElementwiseCpu.GRAIN / Math.max(1, count)), (from, to) -> {
      for (int o = from; o < to; o++) {
        int base = xo + split.keptBase(o);
        double sum = 0;
        for (int off : offsets) {
          sum += x[base + off];
        }
        y[yo + o] = (float) (sum / count);
      }
    });
  }
}
