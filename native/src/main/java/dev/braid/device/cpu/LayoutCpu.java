package dev.braid.device.cpu;

import dev.braid.device.DeviceException;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Transpose;
import dev.braid.model.Shape;

/** Kernels that only move data: transpose, concat, gather. */
final class LayoutCpu {
  private LayoutCpu() {}

  /** Walks the output in order; the input position follows the permuted strides. */
  static Work transpose(Transpose t, Args args) {
    float[] x = args.array(0), y = args.array(1);
    int xo = args.offset(0), yo = args.offset(1);
    Shape out = t.output();
    int rank = out.rank();
    if (rank == 0) {
      return new Work().task(() -> y[yo] = x[xo]);
    }
    int[] inStrides = t.input().strides();
    int[] dims = out.dims();
    int[] str = new int[rank];
    for (int i = 0; i < rank; i++) {
      str[i] = inStrides[t.perm().get(i)];
    }
    int last = dims[rank - 1];
    if (last == 0) {
      return new Work();
    }
    int rows = out.size() / last;
    int step = str[rank - 1];
    return Work.chunked(rows, Math.max(1, ElementwiseCpu.GRAIN / last), (from, to) -> {
      for (int row = from; row < to; row++) {
        int pos = xo, rem = row;
        for (int d = rank - 2; d >= 0; d--) {
          pos += (rem % dims[d]) * str[d];
          rem /= dims[d];
        }
        int dst = yo + row * last;
        for (int j = 0; j < last; j++) {
          y[dst + j] = x[pos + j * step];
        }
      }
    });
  }

  static Work concat(Concat c, Args args) {
    int axis = c.axis();
    Shape out = c.output();
    int outer = out.product(0, axis);
    int inner = out.product(axis + 1, out.rank());
    int outRow = out.dim(axis) * inner;
    float[] y = args.array(args.last());
    int yo = args.offset(args.last());
    Work w = new Work().phase();
    int col = 0;
    for (int i = 0; i < c.inputs().size(); i++) {
      float[] x = args.array(i);
      int xo = args.offset(i);
      int chunk = c.inputs().get(i).dim(axis) * inner;
      int at = col;
      w.task(() -> {
        for (int o = 0; o < outer; o++) {
          System.arraycopy(x, xo + o * chunk, y, yo + o * outRow + at, chunk);
        }
      });
      col += chunk;
    }
    return w;
  }

  static Work gather(Gather g, Args args) {
    float[] data = args.array(0), idx = args.array(1), y = args.array(2);
    int dOff = args.offset(0), iOff = args.offset(1), yo = args.offset(2);
    int outer = g.outer(), inner = g.inner(), q = g.indexCount(), axisDim = g.data().dim(g.axis());
    return new Work().task(() -> {
      for (int j = 0; j < q; j++) {
        float raw = idx[iOff + j];
        long v = (long) raw;
        if (v != raw || v < -axisDim || v >= axisDim) {
          throw new DeviceException(DeviceException.Reason.INVALID_DATA,
              g + ": index " + raw + " at position " + j + " is outside [" + -axisDim + ", " + axisDim + ")");
        }
        int a = (int) (v < 0 ? v + axisDim : v);
        for (int o = 0; o < outer; o++) {
          System.arraycopy(data, dOff + (o * axisDim + a) * inner, y, yo + (o * q + j) * inner, inner);
        }
      }
    });
  }
}
