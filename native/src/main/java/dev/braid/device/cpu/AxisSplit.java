package dev.braid.device.cpu;

import dev.braid.model.Shape;
import java.util.List;

/**
 * A shape's axes split into the kept and the reduced ones, each with its dims and strides in axis
 * order: what the reduction kernels walk with their odometers. Arrays are sized to the full rank;
 * only the first {@code keptRank} / {@code reducedRank} entries are meaningful.
 */
record AxisSplit(boolean[] reduced, int[] keptDims, int[] keptStrides, int keptRank, int[] reducedDims,
    int[] reducedStrides, int reducedRank) {

  static AxisSplit of(Shape in, List<Integer> axes) {
    int rank = in.rank();
    int[] strides = in.strides();
    boolean[] reduced = new boolean[rank];
    axes.forEach(a -> reduced[a] = true);
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
    return new AxisSplit(reduced, keptDims, keptStr, nk, redDims, redStr, nr);
  }
}
