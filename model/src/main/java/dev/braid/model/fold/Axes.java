package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Tensor;
import java.util.Arrays;

/** Axis arithmetic shared by shape inference and the host evaluator. */
final class Axes {
  private Axes() {}

  /** {@code axis} in {@code [-rank, rank)} mapped to {@code [0, rank)}; throws otherwise. */
  static int normalize(long axis, int rank, String what) {
    if (axis < -rank || axis >= rank) {
      throw new ModelException(what + " " + axis + " is out of range for rank " + rank
          + " (expected " + -rank + ".." + (rank - 1) + ")");
    }
    return (int) (axis < 0 ? axis + rank : axis);
  }

  /** Normalizes every axis and rejects duplicates. */
  static int[] normalizeAll(long[] axes, int rank, String what) {
    int[] out = new int[axes.length];
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < axes.length; i++) {
      out[i] = normalize(axes[i], rank, what);
      if (seen[out[i]]) {
        throw new ModelException(what + " " + Arrays.toString(axes) + " repeats axis " + out[i]);
      }
      seen[out[i]] = true;
    }
    return out;
  }

  /**
   * The axes of a node given, depending on the opset, as input {@code inputIndex} (which must then
   * be a constant) or as the attribute {@code axes}; null when neither is given.
   */
  static long[] fromInputOrAttribute(Node n, int inputIndex, Values v) {
    if (n.hasInput(inputIndex)) {
      Tensor t = v.constant(n.input(inputIndex));
      if (t == null) {
        throw new ModelException("the axes (input " + inputIndex + ", '" + n.input(inputIndex)
            + "') must be a constant; Braid resolves shapes when a model loads");
      }
      return t.toLongs().clone();
    }
    return n.attributes().getInts("axes", null);
  }
}
