package dev.braid.device.kernel;

import java.util.List;

/**
 * ONNX TopK with a constant k on a tensor viewed as {@code [outer, axis, inner]}: per fibre, the
 * {@code k} largest (or smallest) elements in sorted order, ties broken by the lower index. One
 * kernel writes one of the two outputs, the values or their indices (as float32 integers), so a
 * graph that uses both runs two launches. Arguments: X, Y.
 */
public record TopK(int outer, int axis, int inner, int k, boolean largest, boolean indices) implements Kernel {
  public TopK {
    Checks.nonNegative("TopK", "outer", outer);
    Checks.nonNegative("TopK", "inner", inner);
    Checks.nonNegative("TopK", "k", k);
    if (k > axis) {
      throw new IllegalArgumentException("TopK.k must be <= axis (" + axis + "), got " + k);
    }
  }

  @Override
  public List<String> argNames() {
    return List.of("X", indices ? "Indices" : "Values");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes((long) outer * (index == 0 ? axis : k) * inner);
  }

  /** A selection: about log2(k) comparisons per element kept in a heap, counted as axis * log2(k+1). */
  @Override
  public long flops() {
    return (long) outer * inner * axis * (64 - Long.numberOfLeadingZeros(k + 1L));
  }
}
