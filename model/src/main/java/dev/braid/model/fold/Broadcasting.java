package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Shape;

/** ONNX multidirectional (numpy-style) broadcasting of shapes. */
final class Broadcasting {
  private Broadcasting() {}

  /** The broadcast of two shapes, aligned at their last dimensions; throws if incompatible. */
  static Shape shape(Shape a, Shape b) {
    int rank = Math.max(a.rank(), b.rank());
    int[] out = new int[rank];
    for (int i = 0; i < rank; i++) {
      int da = i < rank - a.rank() ? 1 : a.dim(i - (rank - a.rank()));
      int db = i < rank - b.rank() ? 1 : b.dim(i - (rank - b.rank()));
      if (da != db && da != 1 && db != 1) {
        throw new ModelException("shapes " + a + " and " + b + " do not broadcast: dimension " + i
            + " of the result would need " + da + " and " + db + " to agree (or one of them to be 1)");
      }
      out[i] = da == 1 ? db : da;
    }
    return Shape.of(out);
  }

  /** Broadcasts batch-dimension prefixes, as MatMul does. */
  static int[] dims(int[] a, int[] b) {
    return shape(Shape.of(a), Shape.of(b)).dims();
  }

  /**
   * Strides for reading a tensor of shape {@code from} as if it had shape {@code to}: zero along
   * broadcast dimensions.
   */
  static int[] stridesFor(Shape from, Shape to) {
    int[] s = new int[to.rank()];
    int[] fs = from.strides();
    int off = to.rank() - from.rank();
    for (int i = 0; i < from.rank(); i++) {
      s[i + off] = from.dim(i) == 1 ? 0 : fs[i];
    }
    return s;
  }
}
