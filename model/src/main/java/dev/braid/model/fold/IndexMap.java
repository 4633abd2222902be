package dev.braid.model.fold;

import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.Objects;

/**
 * A data-movement operator written as an index program: output element {@code i} (row-major in
 * {@code output}) is input element {@code source[i]}, or {@code fill} where {@code source[i]} is
 * {@code -1}. Slice, Expand, Tile, Pad, Split, DepthToSpace, SpaceToDepth and Trilu are all of this
 * form ({@link IndexMaps} builds them); the host evaluator applies one to constants, the lowering
 * ships {@code source} to the device for one generic gather kernel.
 *
 * <p>Invariant: every entry of {@code source} is {@code -1} or in {@code [0, input.size())}.
 */
public record IndexMap(Shape input, Shape output, int[] source, float fill) {
  public IndexMap {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(output, "output");
    if (source.length != output.size()) {
      throw new IllegalArgumentException("IndexMap.source must have " + output.size() + " entries (the output "
          + output + "), got " + source.length);
    }
    int n = input.size();
    for (int i = 0; i < source.length; i++) {
      if (source[i] < -1 || source[i] >= n) {
        throw new IllegalArgumentException("IndexMap.source[" + i + "] = " + source[i] + " is outside [-1, " + n + ")");
      }
    }
  }

  /** Whether some output element takes the fill value rather than an input element. */
  public boolean fills() {
    for (int s : source) {
      if (s < 0) {
        return true;
      }
    }
    return false;
  }

  /** Applies the map to a constant, keeping its dtype (integers stay exact longs). */
  public Tensor apply(Tensor x) {
    if (!x.shape().equals(input)) {
      throw new IllegalArgumentException("IndexMap over " + input + " applied to a tensor of shape " + x.shape());
    }
    if (x.isFloating()) {
      float[] in = x.floats(), out = new float[source.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = source[i] < 0 ? fill : in[source[i]];
      }
      return Tensor.ofFloats(x.dtype(), output, out);
    }
    long[] in = x.longs(), out = new long[source.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = source[i] < 0 ? (long) fill : in[source[i]];
    }
    return Tensor.ofLongs(x.dtype(), output, out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IndexMap m && input.equals(m.input) && output.equals(m.output)
        && java.util.Arrays.equals(source, m.source) && Float.compare(fill, m.fill) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(input, output, java.util.Arrays.hashCode(source), fill);
  }

  @Override
  public String toString() {
    return "IndexMap[" + input + " -> " + output + (fills() ? ", fill " + fill : "") + "]";
  }
}
