package dev.braid.device.cpu;

import dev.braid.model.Shape;
import java.util.List;

/**
 * A shape's axes split into the kept and the reduced ones, each with its dims and strides in axis
 * order: what the reduction kernels walk. Arrays are sized to the full rank;
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

  /** Where output {@code o} (row-major over the kept axes) starts in the input: its kept coordinates times their strides. */
  int keptBase(int o) {
    int base = 0, rem = o;
    for (int d = keptRank - 1; d >= 0; d--) {
      base += (rem % keptDims[d]) * keptStrides[d];
      rem /= keptDims[d];
    }
    return base;
  }

  /**
   * The offsets from an output's {@link #keptBase start} of the input elements reduced into it, in
   * row-major order of the reduced axes: the same for every output, so computed once a launch.
   */
  int[] reducedOffsets() {
    int count = 1;
    for (int d = 0; d < reducedRank; d++) {
      count = Math.multiplyExact(count, reducedDims[d]);
    }
    int[] offsets = new int[count];
    int[] odo = new int[reducedRank];
    for (int i = 0; i < count; i++) {
      int pos = 0;
      for (int d = 0; d < reducedRank; d++) {
        pos += odo[d] * reducedStrides[d];
      }
      offsets[i] = pos;
      for (int d = reducedRank - 1; d >= 0 && ++odo[d] == reducedDims[d]; d--) {
        odo[d] = 0;
      }
    }
    return offsets;
  }

}
