package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The proofs at load that {@link QuantDecompositions}' float32 arithmetic computes integer
 * quantized products exactly: float32 adds and multiplies integers exactly up to 2^24, so every
 * partial sum's bound (from the operands' values where constant, from their element types
 * otherwise) must stay there, or the model is refused naming the bound. Never rounded.
 */
final class QuantExactness {
  private QuantExactness() {}

  /** Float32 adds and multiplies integers exactly up to this magnitude. */
  static final long EXACT_LIMIT = 1L << 24;

  /**
   * Refuses an integer product whose partial sums can leave float32's exact range.
   *
   * @param bound an upper bound of |every partial sum| of one output element
   */
  static void requireExactAccumulation(Node n, long terms, long bound) {
    if (bound > EXACT_LIMIT) {
      throw new ModelException("the int32 accumulation of " + terms + " products can reach |" + bound + "|, beyond"
          + " float32's exact integer range (expected at most 2^24 = " + EXACT_LIMIT + ", received a bound of " + bound
          + "); " + n.opType() + " runs in float32 on Braid's devices and would round the sum");
    }
  }

  /** max |v - zp| over the operand: from its values when constant, from its element type otherwise. */
  static long maxDeviation(WorkGraph g, String v, String zp) {
    long[] vr = valueRange(g, v);
    long[] zr = zp == null ? new long[] {0, 0} : valueRange(g, zp);
    return Math.max(Math.abs(vr[1] - zr[0]), Math.abs(vr[0] - zr[1]));
  }

  static long[] valueRange(WorkGraph g, String v) {
    Tensor t = g.constant(v);
    if (t == null) {
      return range(g.info(v).dtype());
    }
    long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;
    for (long l : t.toLongs()) {
      lo = Math.min(lo, l);
      hi = Math.max(hi, l);
    }
    return t.size() == 0 ? new long[] {0, 0} : new long[] {lo, hi};
  }

  /** max over columns n of sum over k of |b[.., k, n] - zp[n]|, for a constant B of rank >= 2. */
  static long maxColumnSum(Tensor bt, Tensor zpt, int k, int cols) {
    long worst = 0;
    int batches = bt.size() / (k * cols);
    for (int s = 0; s < batches; s++) {
      for (int c = 0; c < cols; c++) {
        long z = zpt == null ? 0 : (long) zpt.get(zpt.size() == 1 ? 0 : c);
        long sum = 0;
        for (int i = 0; i < k; i++) {
          sum += Math.abs((long) bt.get((s * k + i) * cols + c) - z);
        }
        worst = Math.max(worst, sum);
      }
    }
    return worst;
  }

  /** max over output channels o of sum over the o-th filter's k weights of |w - zp[o]|. */
  static long maxFilterSum(Tensor wt, Tensor zpt, int m, int k) {
    long worst = 0;
    for (int o = 0; o < m; o++) {
      long z = zpt == null ? 0 : (long) zpt.get(zpt.size() == 1 ? 0 : o);
      long sum = 0;
      for (int i = 0; i < k; i++) {
        sum += Math.abs((long) wt.get(o * k + i) - z);
      }
      worst = Math.max(worst, sum);
    }
    return worst;
  }

  /** The inclusive value range of an integer element type. */
  static long[] range(DType t) {
    return switch (t) {
      case UINT8 -> new long[] {0, 255};
      case INT8 -> new long[] {-128, 127};
      case UINT16 -> new long[] {0, 65535};
      case INT16 -> new long[] {-32768, 32767};
      case INT32 -> new long[] {-EXACT_LIMIT, EXACT_LIMIT}; // inputs beyond 2^24 are refused at the door
      case BOOL -> new long[] {0, 1};
      default -> throw new ModelException("element type " + t.onnxName() + " is not a quantized integer type");
    };
  }
}
