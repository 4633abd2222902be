package dev.braid.device.cpu;

import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.TopK;
import java.util.ArrayList;
import java.util.List;

/**
 * Mixes for grouped launches of the TopK and N-d pool classes, shared by the reference device's
 * test, the simulator's and the emulated driver's: shapes and attributes differ per problem, and
 * problem sizes straddle the grouped kernels' 256-per-block boundary.
 */
public final class GroupedMixes {
  private GroupedMixes() {}

  /**
   * TopK of both orders and outputs: one fibre over a classifier's 1000 logits, strided fibres
   * (inner > 1) over thousands of fibres (several blocks), k == axis, k == 1, and axis 1.
   */
  public static List<Kernel> topKs() {
    return List.of(
        new TopK(1, 1000, 1, 5, true, false),
        new TopK(1, 1000, 1, 5, true, true),
        new TopK(3, 50, 700, 4, true, true),
        new TopK(4, 7, 9, 7, false, false),
        new TopK(2, 33, 129, 1, false, true),
        new TopK(257, 6, 1, 3, true, false),
        new TopK(5, 1, 2, 1, true, true),
        new TopK(2, 64, 3, 10, false, false));
  }

  /**
   * Every PoolNd kind over 1, 2 and 3 spatial axes: pads at either end, dilations, strides above
   * the window, count_include_pad, Lp exponents 1 to 3, and MAX_INDEX row- and column-major.
   */
  public static List<Kernel> poolNds() {
    List<Kernel> ks = new ArrayList<>();
    for (PoolNd.Kind kind : PoolNd.Kind.values()) {
      boolean last = kind == PoolNd.Kind.MAX_INDEX;
      int p = kind.ordinal() + 1;
      ks.add(pool(kind, 6, new int[] {37}, new int[] {4}, new int[] {3}, new int[] {2}, new int[] {1}, new int[] {1},
          kind == PoolNd.Kind.AVERAGE, p, false));
      ks.add(pool(kind, 2, new int[] {9, 11, 10}, new int[] {3, 2, 2}, new int[] {2, 1, 3}, new int[] {1, 0, 1},
          new int[] {1, 1, 0}, new int[] {1, 2, 1}, true, p, last));
      ks.add(pool(kind, 3, new int[] {12, 13}, new int[] {3, 3}, new int[] {1, 2}, new int[] {1, 1}, new int[] {1, 0},
          new int[] {2, 1}, false, p, last));
    }
    return ks;
  }

  /** A PoolNd whose output dims follow from the geometry (floor mode). */
  static PoolNd pool(PoolNd.Kind kind, int planes, int[] in, int[] kernel, int[] stride, int[] padBegin, int[] padEnd,
      int[] dilation, boolean countIncludePad, int p, boolean columnMajor) {
    List<Integer> out = new ArrayList<>();
    for (int d = 0; d < in.length; d++) {
      int span = (kernel[d] - 1) * dilation[d] + 1;
      out.add((in[d] + padBegin[d] + padEnd[d] - span) / stride[d] + 1);
    }
    return new PoolNd(kind, planes, list(in), list(kernel), list(stride), list(padBegin), list(padEnd), list(dilation),
        out, countIncludePad, p, columnMajor);
  }

  private static List<Integer> list(int[] a) {
    List<Integer> l = new ArrayList<>();
    for (int v : a) {
      l.add(v);
    }
    return l;
  }
}
