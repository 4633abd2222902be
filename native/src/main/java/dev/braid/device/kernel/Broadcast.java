package dev.braid.device.kernel;

import dev.braid.model.Shape;

/** Numpy (multidirectional) broadcasting of shapes, as ONNX elementwise operators use it. */
public final class Broadcast {
  private Broadcast() {}

  /** The broadcast shape of {@code a} and {@code b}; throws naming both if they are incompatible. */
  public static Shape shape(Shape a, Shape b) {
    int rank = Math.max(a.rank(), b.rank());
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = dimFromEnd(a, rank - 1 - i);
      int db = dimFromEnd(b, rank - 1 - i);
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException("shapes " + a + " and " + b + " do not broadcast");
      }
      out[i] = da == 1 ? db : da;
    }
    return Shape.of(out);
  }

  /**
   * Element strides of {@code in} seen through broadcast shape {@code out}: 0 where {@code in} is
   * broadcast (missing or size 1), its row-major stride otherwise. Length {@code out.rank()}.
   */
  public static int[] strides(Shape in, Shape out) {
    int rank = out.rank();
    int[] inStrides = in.strides();
    int[] s = new int[rank];
    int shift = rank - in.rank();
    for (int i = 0; i < rank; i++) {
      int j = i - shift;
      s[i] = (j < 0 || in.dim(j) == 1) ? 0 : inStrides[j];
    }
    return s;
  }

  private static int dimFromEnd(Shape s, int fromEnd) {
    return fromEnd < s.rank() ? s.dim(s.rank() - 1 - fromEnd) : 1;
  }
}
