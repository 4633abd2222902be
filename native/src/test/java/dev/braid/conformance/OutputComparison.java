package dev.braid.conformance;

import dev.braid.model.Tensor;

/**
 * Compares one output with ONNX's expected value, as issue 12 asks: floating outputs within
 * {@code |got - expected| <= ABS + REL * |expected|}, a NaN equal only to a NaN and an infinity
 * only to the same infinity; integer and boolean outputs exactly. Shapes must be equal and both
 * sides floating or both integral (FLOAT16 and DOUBLE are compared as the float32 values Braid
 * holds them as).
 *
 * <p>Pure.
 */
final class OutputComparison {
  static final double ABS = 1e-4;
  static final double REL = 1e-3;

  private OutputComparison() {}

  /** Null when {@code got} matches {@code expected}, else where and how it differs. */
  static String mismatch(String output, Tensor got, Tensor expected) {
    if (!got.shape().equals(expected.shape())) {
      return "output '" + output + "': expected shape " + expected.shape() + ", got " + got.shape();
    }
    if (got.isFloating() != expected.isFloating()) {
      return "output '" + output + "': expected dtype " + expected.dtype() + ", got " + got.dtype();
    }
    int bad = 0;
    int first = -1;
    if (expected.isFloating()) {
      float[] g = got.floats();
      float[] e = expected.floats();
      for (int i = 0; i < e.length; i++) {
        if (!close(g[i], e[i])) {
          bad++;
          first = first < 0 ? i : first;
        }
      }
      return bad == 0 ? null : "output '" + output + "' " + expected.shape() + ": " + bad + " of " + e.length
          + " elements outside |got - expected| <= " + ABS + " + " + REL + " |expected|; first at flat index " + first
          + ": got " + g[first] + ", expected " + e[first];
    }
    long[] g = got.longs();
    long[] e = expected.longs();
    for (int i = 0; i < e.length; i++) {
      if (g[i] != e[i]) {
        bad++;
        first = first < 0 ? i : first;
      }
    }
    return bad == 0 ? null : "output '" + output + "' " + expected.dtype() + " " + expected.shape() + ": " + bad
        + " of " + e.length + " elements differ; first at flat index " + first + ": got " + g[first]
        + ", expected " + e[first];
  }

  static boolean close(float got, float expected) {
    if (Float.isNaN(expected) || Float.isNaN(got)) {
      return Float.isNaN(expected) && Float.isNaN(got);
    }
    if (Float.isInfinite(expected) || Float.isInfinite(got)) {
      return got == expected;
    }
    return Math.abs((double) got - expected) <= ABS + REL * Math.abs((double) expected);
  }
}
