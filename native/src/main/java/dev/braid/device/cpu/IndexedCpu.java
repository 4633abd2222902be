package dev.braid.device.cpu;

import dev.braid.device.DeviceException;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.Scatter;
import dev.braid.model.Shape;

/**
 * CPU reference of the kernels addressed by run-time indices: {@link GatherElements},
 * {@link GatherNd}, {@link Scatter} (elements and ND) and {@link OneHot}. Every index is checked:
 * a non-integer or one out of range fails the launch naming its position and value. Scatters run
 * as one task, applying updates in index order, so duplicates are deterministic.
 */
final class IndexedCpu {
  private IndexedCpu() {}

  /** The index at {@code raw} for an axis of {@code dim}, negatives from the end; fails the launch when invalid. */
  private static int index(Kernel k, float raw, int dim, int position) {
    long v = (long) raw;
    if (v != raw || v < -dim || v >= dim) {
      throw new DeviceException(DeviceException.Reason.INVALID_DATA,
          k + ": index " + raw + " at position " + position + " is outside [" + -dim + ", " + dim + ")");
    }
    return (int) (v < 0 ? v + dim : v);
  }

  static Work gatherElements(GatherElements g, Args args) {
    float[] data = args.array(0), idx = args.array(1), y = args.array(2);
    int dOff = args.offset(0), iOff = args.offset(1), yo = args.offset(2);
    Shape ind = g.indices();
    int[] dStr = g.data().strides();
    int axis = g.axis(), axisDim = g.data().dim(axis), rank = ind.rank();
    return Work.chunked(ind.size(), ElementwiseCpu.GRAIN, (from, to) -> {
      for (int e = from; e < to; e++) {
        int rem = e, off = 0;
        for (int d = rank - 1; d >= 0; d--) {
          int c = rem % ind.dim(d);
          rem /= ind.dim(d);
          off += (d == axis ? index(g, idx[iOff + e], axisDim, e) : c) * dStr[d];
        }
        y[yo + e] = data[dOff + off];
      }
    });
  }

  static Work gatherNd(GatherNd g, Args args) {
    float[] data = args.array(0), idx = args.array(1), y = args.array(2);
    int dOff = args.offset(0), iOff = args.offset(1), yo = args.offset(2);
    int b = g.batchDims(), k = g.depth(), slice = g.slice();
    int[] dStr = g.data().strides();
    int batchTuples = g.indices().product(0, b);
    int tuplesPerBatch = g.tuples() / Math.max(1, batchTuples);
    int batchStride = g.data().product(b, g.data().rank());
    return Work.chunked(g.tuples(), Math.max(1, ElementwiseCpu.GRAIN / Math.max(1, slice)), (from, to) -> {
      for (int t = from; t < to; t++) {
        int off = (t / tuplesPerBatch) * batchStride;
        for (int j = 0; j < k; j++) {
          off += index(g, idx[iOff + t * k + j], g.data().dim(b + j), t * k + j) * dStr[b + j];
        }
        System.arraycopy(data, dOff + off, y, yo + t * slice, slice);
      }
    });
  }

  static Work scatter(Scatter s, Args args) {
    float[] data = args.array(0), idx = args.array(1), upd = args.array(2), y = args.array(3);
    int dOff = args.offset(0), iOff = args.offset(1), uOff = args.offset(2), yo = args.offset(3);
    Shape dataShape = s.data(), ind = s.indices();
    int[] dStr = dataShape.strides();
    return new Work().task(() -> {
      System.arraycopy(data, dOff, y, yo, dataShape.size());
      if (s.nd()) {
        int k = ind.dim(ind.rank() - 1), slice = dataShape.product(k, dataShape.rank());
        int tuples = ind.size() / k;
        for (int t = 0; t < tuples; t++) {
          int off = 0;
          for (int j = 0; j < k; j++) {
            off += index(s, idx[iOff + t * k + j], dataShape.dim(j), t * k + j) * dStr[j];
          }
          for (int e = 0; e < slice; e++) {
            y[yo + off + e] = s.reduction().apply(y[yo + off + e], upd[uOff + t * slice + e]);
          }
        }
        return;
      }
      int axis = s.axis(), rank = ind.rank();
      for (int e = 0; e < ind.size(); e++) {
        int rem = e, off = 0;
        for (int d = rank - 1; d >= 0; d--) {
          int c = rem % ind.dim(d);
          rem /= ind.dim(d);
          off += (d == axis ? index(s, idx[iOff + e], dataShape.dim(axis), e) : c) * dStr[d];
        }
        y[yo + off] = s.reduction().apply(y[yo + off], upd[uOff + e]);
      }
    });
  }

  static Work oneHot(OneHot h, Args args) {
    float[] idx = args.array(0), y = args.array(1);
    int iOff = args.offset(0), yo = args.offset(1);
    int depth = h.depth(), inner = h.inner();
    return Work.chunked((long) h.outer() * inner, Math.max(1, ElementwiseCpu.GRAIN / depth), (from, to) -> {
      for (int p = from; p < to; p++) {
        int o = p / inner, i = p % inner;
        long v = (long) idx[iOff + p]; // the operator casts non-integer indices to int64
        long hot = v < 0 ? v + depth : v;
        for (int j = 0; j < depth; j++) {
          y[yo + (o * depth + j) * inner + i] = j == hot ? h.on() : h.off();
        }
      }
    });
  }
}
