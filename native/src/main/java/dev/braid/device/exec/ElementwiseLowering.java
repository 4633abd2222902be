package dev.braid.device.exec;

import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.device.kernel.Where;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;

/**
 * The lowering of the elementwise operators beyond the core set (unary math, activations,
 * comparisons, logic, Mod, BitShift, Where, Cast), one static method per form, each called from
 * one line of {@link Lowering}'s switch. Sum, Mean, Max and Min of many inputs, Clip with bounds
 * computed at run time and CastLike arrive already rewritten by the binder's canonical forms into
 * two-input nodes and Cast.
 *
 * <p>Integers and booleans live on the device as float32 values (booleans 0 and 1), exact for
 * |v| &lt;= 2^24: the integer forms of Div, Mod and Pow ({@link BinaryOp#DIV_INT}, {@link
 * BinaryOp#MOD_INT}, {@link BinaryOp#POW_INT}) keep integer semantics on those values, and casts
 * to narrower integers wrap ({@link UnaryOp#TRUNC_WRAP}).
 */
final class ElementwiseLowering {
  private ElementwiseLowering() {}

  static void unary(Lowering l, Node n, UnaryOp op) {
    l.emit(n, Unary.of(op, l.shape(n.input(0)).size()), n.input(0), n.output(0));
  }

  /** An activation with attributes alpha and beta (HardSigmoid) or gamma (Selu), defaulted as ONNX states. */
  static void activation(Lowering l, Node n, UnaryOp op, float alpha, float second) {
    float a = n.attributes().getFloat("alpha", alpha);
    float b = n.attributes().getFloat(op == UnaryOp.SELU ? "gamma" : "beta", second);
    if (op == UnaryOp.CELU && a == 0f) {
      throw new ModelException(n.describe() + ": attribute 'alpha' must not be 0 (Celu divides by it)");
    }
    l.emit(n, Unary.of(op, l.shape(n.input(0)).size(), a, b), n.input(0), n.output(0));
  }

  static void isInf(Lowering l, Node n) {
    float negative = n.attributes().getInt("detect_negative", 1) != 0 ? 1f : 0f;
    float positive = n.attributes().getInt("detect_positive", 1) != 0 ? 1f : 0f;
    l.emit(n, Unary.of(UnaryOp.ISINF, l.shape(n.input(0)).size(), negative, positive), n.input(0), n.output(0));
  }

  static void binary(Lowering l, Node n, BinaryOp op) {
    Binary k = Binary.of(op, l.shape(n.input(0)), l.shape(n.input(1)));
    l.checkOutput(n, k.out());
    l.emit(n, k, n.input(0), n.input(1), n.output(0));
  }

  /** Div: truncating integer division for integer types, IEEE division otherwise. */
  static void div(Lowering l, Node n) {
    binary(l, n, dtype(l, n.output(0)).isFloating() ? BinaryOp.DIV : BinaryOp.DIV_INT);
  }

  /** Pow: an integer output gets the exact integer power. */
  static void pow(Lowering l, Node n) {
    binary(l, n, dtype(l, n.output(0)).isFloating() ? BinaryOp.POW : BinaryOp.POW_INT);
  }

  /** Mod: fmod=1 is C's fmod (the dividend's sign); fmod=0, integers only, takes the divisor's sign. */
  static void mod(Lowering l, Node n) {
    boolean fmod = n.attributes().getInt("fmod", 0) != 0;
    if (!fmod && dtype(l, n.input(0)).isFloating()) {
      throw new ModelException(n.describe() + ": attribute 'fmod' must be 1 for floating inputs, got 0");
    }
    binary(l, n, fmod ? BinaryOp.FMOD : BinaryOp.MOD_INT);
  }

  /** BitShift: LEFT multiplies by 2^y (the binder wraps narrow types after it), RIGHT floors x / 2^y. */
  static void bitShift(Lowering l, Node n) {
    String dir = n.attributes().getString("direction", "");
    binary(l, n, switch (dir) {
      case "LEFT" -> BinaryOp.SHIFT_LEFT;
      case "RIGHT" -> BinaryOp.SHIFT_RIGHT;
      default -> throw new ModelException(n.describe() + ": attribute 'direction' must be LEFT or RIGHT, got '"
          + dir + "'");
    });
  }

  static void where(Lowering l, Node n) {
    Where k = Where.of(l.shape(n.input(0)), l.shape(n.input(1)), l.shape(n.input(2)));
    l.checkOutput(n, k.out());
    l.emit(n, k, n.input(0), n.input(1), n.input(2), n.output(0));
  }

  /**
   * Cast between the types Braid carries as float32 values: a no-op (alias) where every source
   * value is already a target value, rounding for float16 and bfloat16, x != 0 for bool,
   * truncation toward zero and wrapping for integers.
   */
  static void cast(Lowering l, Node n) {
    DType to = DType.fromOnnx((int) n.attributes().getInt("to"));
    DType from = dtype(l, n.input(0));
    if (to == null) {
      throw new ModelException(n.describe() + ": Cast to element type " + n.attributes().getInt("to")
          + " is not supported");
    }
    long size = l.shape(n.input(0)).size();
    Unary k;
    if (to == DType.FLOAT16 && from != DType.FLOAT16 && from != DType.BOOL && from != DType.UINT8 && from != DType.INT8) {
      k = Unary.of(UnaryOp.ROUND_HALF, size);
    } else if (to == DType.BFLOAT16 && from != DType.BFLOAT16 && from != DType.BOOL && from != DType.UINT8
        && from != DType.INT8) {
      // ONNX 1.12's reference truncates to bfloat16 and its test data expects that; ONNX Runtime and
      // the reference since ONNX 1.14 round to nearest even. Braid picks neither silently.
      throw new ModelException(n.describe() + ": Cast from " + from.onnxName() + " to BFLOAT16 is not supported:"
          + " its rounding differs between ONNX versions (truncation in 1.12, nearest-even since 1.14)");
    } else if (to.isFloating()) {
      k = null; // float32, float64, or a narrow type that holds every source value
    } else if (to == DType.BOOL) {
      k = from == DType.BOOL ? null : Unary.of(UnaryOp.CAST_BOOL, size);
    } else if (!from.isFloating() && holds(to, from)) {
      k = null;
    } else {
      k = Unary.of(UnaryOp.TRUNC_WRAP, size, modulus(to), signed(to) ? 1f : 0f);
    }
    if (k == null) {
      l.alias(n);
    } else {
      l.emit(n, k, n.input(0), n.output(0));
    }
  }

  /** True when every value of integer (or bool) type {@code from} is a value of integer type {@code to}. */
  static boolean holds(DType to, DType from) {
    return from == to || from == DType.BOOL || switch (to) {
      case INT16 -> from == DType.INT8 || from == DType.UINT8;
      case UINT16 -> from == DType.UINT8;
      case INT32 -> from == DType.INT8 || from == DType.UINT8 || from == DType.INT16 || from == DType.UINT16;
      case UINT32 -> from == DType.UINT8 || from == DType.UINT16;
      case INT64 -> from != DType.UINT64;
      case UINT64 -> from == DType.UINT8 || from == DType.UINT16 || from == DType.UINT32;
      default -> false;
    };
  }

  /** 2^bits for the integer types whose every value a float32 carries exactly; 0 (no wrap) for wider ones. */
  static float modulus(DType t) {
    return switch (t) {
      case INT8, UINT8 -> 256f;
      case INT16, UINT16 -> 65536f;
      default -> 0f;
    };
  }

  static boolean signed(DType t) {
    return t == DType.INT8 || t == DType.INT16 || t == DType.INT32 || t == DType.INT64;
  }

  private static DType dtype(Lowering l, String value) {
    return l.graph.info(value).dtype();
  }
}
