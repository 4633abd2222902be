package dev.braid.device.kernel;

/**
 * Elementwise binary operators. Booleans are 0 and 1; the integer forms (DIV_INT, MOD_INT,
 * POW_INT, shifts) compute exactly on integer values carried as float32 (|v| &lt;= 2^24).
 *
 * <p>The ordinals are the op codes of the CUDA kernels ({@code BRAID_BINARY_*} in
 * elementwise.cuh): append new operators at the end, never reorder.
 */
public enum BinaryOp {
  ADD, SUB, MUL, DIV, POW,
  /** Minimum; NaN if either is NaN (numpy's minimum, ONNX Min). */
  MIN,
  MAX,
  /** C fmod: the remainder with the dividend's sign (ONNX Mod, fmod=1). */
  FMOD,
  /** Integer modulo with the divisor's sign (ONNX Mod, fmod=0, Python's %). */
  MOD_INT,
  /** Integer division truncated toward zero. */
  DIV_INT,
  /** Power for an integer output: the exact integer when the power is one, else truncated. */
  POW_INT,
  EQUAL, LESS, GREATER, LESS_EQUAL, GREATER_EQUAL,
  AND, OR, XOR,
  /** {@code a < 0 ? b * a : a}, B the slope. */
  PRELU,
  /** {@code a * 2^b}: unsigned left shift (the caller wraps to the type's width). */
  SHIFT_LEFT,
  /** {@code floor(a / 2^b)}: unsigned right shift. */
  SHIFT_RIGHT;

  /** The operator applied to one pair, as the CPU reference computes it. */
  public float apply(float a, float b) {
    return switch (this) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case POW -> (float) Math.pow(a, b);
      case MIN -> Math.min(a, b);
      case MAX -> Math.max(a, b);
      case FMOD -> a % b;
      case MOD_INT -> {
        double r = (double) a % b;
        yield (float) (r != 0 && (r < 0) != (b < 0) ? r + b : r);
      }
      case DIV_INT -> {
        double q = (double) a / b;
        yield (float) (q < 0 ? Math.ceil(q) : Math.floor(q));
      }
      case POW_INT -> (float) powInt(a, b);
      case EQUAL -> a == b ? 1 : 0;
      case LESS -> a < b ? 1 : 0;
      case GREATER -> a > b ? 1 : 0;
      case LESS_EQUAL -> a <= b ? 1 : 0;
      case GREATER_EQUAL -> a >= b ? 1 : 0;
      case AND -> a != 0 && b != 0 ? 1 : 0;
      case OR -> a != 0 || b != 0 ? 1 : 0;
      case XOR -> (a != 0) != (b != 0) ? 1 : 0;
      case PRELU -> a < 0 ? b * a : a;
      case SHIFT_LEFT -> (float) Math.scalb((double) a, (int) Math.min(b, 1024));
      case SHIFT_RIGHT -> (float) Math.floor(Math.scalb((double) a, -(int) Math.min(b, 1024)));
    };
  }

  /** Floating-point operations per output for the cost model (a library function counting one). */
  public int flopsPerElement() {
    return switch (this) {
      case MOD_INT, DIV_INT, POW_INT -> 3;
      default -> 1;
    };
  }

  static double powInt(double a, double b) {
    double r = Math.pow(a, b);
    double n = Math.rint(r);
    return Math.abs(r - n) <= 1e-9 * Math.max(1, Math.abs(r)) ? n : (r < 0 ? Math.ceil(r) : Math.floor(r));
  }
}
