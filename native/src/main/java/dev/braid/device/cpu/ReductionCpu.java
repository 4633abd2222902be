package dev.braid.device.cpu;

import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import dev.braid.model.Shape;

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
          float e = (float) Math.exp(x[xo + base + i * inner] - max);
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
        double sum = 0;
        for (int i = 0; i < cols; i++) {
          sum += x[xo + base + i];
        }
        double mean = sum / cols;
        double sq = 0;
        for (int i = 0; i < cols; i++) {
          double d = x[xo + base + i] - mean;
          sq += d * d;
        }
        double inv = 1.0 / Math.sqrt(sq / cols + ln.epsilon());
        for (int i = 0; i < cols; i++) {
          double v = (x[xo + base + i] - mean) * inv * sc[so + i];
          y[yo + base + i] = (float) (bias == null ? v : v + bias[bo + i]);
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
        double sum = 0;
        for (int i = 0; i < s; i++) {
          sum += x[xo + c * s + i];
        }
        y[yo + c] = (float) (sum / s);
      }
    });
  }

  /** One task per output element; the reduced axes are walked with an odometer. */
  static Work reduceMean(ReduceMean rm, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    Shape in = rm.input();
    int rank = in.rank();
    int[] strides = in.strides();
    boolean[] reduced = new boolean[rank];
    rm.axes().forEach(a -> reduced[a] = true);
    int[] keptDims = new int[rank], redDims = new int[rank], keptStr = new int[rank], redStr = new int[rank];
    int nk = 0, nr = 0;
    for (int d = 0; d < rank; d++) {
      if (reduced[d]) {
        redDims[nr] = in.dim(d);
        redStr[nr++] = strides[d];
      } else {
        keptDims[nk] = in.dim(d);
        keptStr[nk++] = strides[d];
      }
    }
    int keptRank = nk, redRank = nr;
    long count = rm.reducedElements();
    return Work.chunked(rm.outputElements(), Math.max(1, ElementwiseCpu.GRAIN / Math.max(1, count)), (from, to) -> {
      int[] odo = new int[redRank];
      for (int o = from; o < to; o++) {
        int base = xo, rem = o;
        for (int d = keptRank - 1; d >= 0; d--) {
          base += (rem % keptDims[d]) * keptStr[d];
          rem /= keptDims[d];
        }
        java.util.Arrays.fill(odo, 0);
        double sum = 0;
        for (long i = 0; i < count; i++) {
          int pos = base;
          for (int d = 0; d < redRank; d++) {
            pos += odo[d] * redStr[d];
          }
          sum += x[pos];
          for (int d = redRank - 1; d >= 0 && ++odo[d] == redDims[d]; d--) {
            odo[d] = 0;
          }
        }
        y[yo + o] = (float) (sum / count);
      }
    });
  }
}
