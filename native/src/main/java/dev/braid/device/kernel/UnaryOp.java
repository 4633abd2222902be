package dev.braid.device.kernel;

/**
 * Elementwise unary operators. Each reads the two parameters of its {@link Unary} kernel ({@code
 * min} and {@code max}) as documented on the constant: CLIP's bounds, an activation's alpha and
 * beta (or gamma), IsInf's two detection flags, a cast's wrap modulus and signedness; the others
 * ignore them. Booleans are 0 and 1.
 *
 * <p>The ordinals are the op codes of the CUDA kernels ({@code BRAID_UNARY_*} in elementwise.cuh):
 * append new operators at the end, never reorder.
 */
public enum UnaryOp {
  RELU, CLIP, SIGMOID, TANH, ERF,
  /** Gelu with the exact erf form, {@code 0.5 x (1 + erf(x / sqrt 2))}. */
  GELU,
  /** Gelu's tanh approximation, ONNX {@code approximate="tanh"}. */
  GELU_TANH,
  SQRT,
  /** A plain copy. */
  IDENTITY,
  NEG, RECIPROCAL, EXP, LOG, ABS, FLOOR, CEIL,
  /** Round half to even (ONNX Round). */
  ROUND,
  /** -1, 0 or 1; NaN stays NaN. */
  SIGN,
  SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, ASINH, ACOSH, ATANH,
  /** Logical not of a boolean: 1 where x is 0. */
  NOT,
  ISNAN,
  /** 1 where x is +inf and max != 0, or -inf and min != 0 (detect_positive, detect_negative). */
  ISINF,
  /** {@code clamp(min * x + max, 0, 1)}: min is alpha, max is beta. */
  HARD_SIGMOID,
  /** {@code x * clamp(x / 6 + 1/2, 0, 1)}. */
  HARD_SWISH,
  /** {@code x < 0 ? min * x : x}: min is alpha. */
  LEAKY_RELU,
  /** {@code x > min ? x : 0}: min is alpha. */
  THRESHOLDED_RELU,
  /** {@code x < 0 ? min * (e^x - 1) : x}: min is alpha. */
  ELU,
  /** {@code max * (x <= 0 ? min * (e^x - 1) : x)}: min is alpha, max is gamma. */
  SELU,
  /** {@code max(0, x) + min(0, min * (e^(x / min) - 1))}: min is alpha. */
  CELU,
  /** {@code log(1 + e^x)}, computed without overflow. */
  SOFTPLUS,
  SOFTSIGN,
  /** {@code x * tanh(softplus(x))}. */
  MISH,
  /** Cast to bool: 1 where x != 0 (NaN included), else 0. */
  CAST_BOOL,
  /**
   * Cast to an integer type: truncate toward zero, then, when min (the modulus, 2^bits) is not 0,
   * wrap into [0, min), or into [-min/2, min/2) when max != 0 (signed). Exact for |x| < 2^24.
   */
  TRUNC_WRAP,
  /** Cast to float16 and back: round to the nearest half (ties to even), overflow to infinity. */
  ROUND_HALF;

  /** Selu's default alpha and gamma (ONNX), as float32. */
  public static final float SELU_ALPHA = 1.67326319217681884765625f;

  public static final float SELU_GAMMA = 1.05070102214813232421875f;

  /**
   * The operator on one value with parameters {@code p} (min) and {@code q} (max), as the CPU
   * reference computes it: in double precision, rounded once to float32.
   */
  public float apply(float xf, float p, float q) {
    double x = xf;
    return (float) switch (this) {
      case RELU -> Math.max(xf, 0f);
      case CLIP -> Math.min(Math.max(xf, p), q);
      case SIGMOID -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
      case TANH -> Math.tanh(x);
      case ERF, GELU, GELU_TANH -> throw new IllegalStateException(this + " has its own CPU loop");
      case SQRT -> Math.sqrt(x);
      case IDENTITY -> x;
      case NEG -> -x;
      case RECIPROCAL -> 1 / x;
      case EXP -> Math.exp(x);
      case LOG -> Math.log(x);
      case ABS -> Math.abs(x);
      case FLOOR -> Math.floor(x);
      case CEIL -> Math.ceil(x);
      case ROUND -> Math.rint(x);
      case SIGN -> Math.signum(x);
      case SIN -> Math.sin(x);
      case COS -> Math.cos(x);
      case TAN -> Math.tan(x);
      case ASIN -> Math.asin(x);
      case ACOS -> Math.acos(x);
      case ATAN -> Math.atan(x);
      case SINH -> Math.sinh(x);
      case COSH -> Math.cosh(x);
      case ASINH -> Double.isInfinite(x) ? x : Math.copySign(Math.log(Math.abs(x) + Math.sqrt(x * x + 1)), x);
      case ACOSH -> Math.log(x + Math.sqrt(x * x - 1));
      case ATANH -> 0.5 * Math.log((1 + x) / (1 - x));
      case NOT -> xf == 0f ? 1 : 0;
      case ISNAN -> Float.isNaN(xf) ? 1 : 0;
      case ISINF -> (xf == Float.POSITIVE_INFINITY && q != 0) || (xf == Float.NEGATIVE_INFINITY && p != 0) ? 1 : 0;
      case HARD_SIGMOID -> Math.max(0, Math.min(1, p * x + q));
      case HARD_SWISH -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
      case LEAKY_RELU -> x < 0 ? p * x : x;
      case THRESHOLDED_RELU -> x > p ? x : 0;
      case ELU -> x < 0 ? p * Math.expm1(x) : x;
      case SELU -> q * (x <= 0 ? p * Math.expm1(x) : x);
      case CELU -> Math.max(0, x) + Math.min(0, p * Math.expm1(x / p));
      case SOFTPLUS -> softplus(x);
      case SOFTSIGN -> x / (1 + Math.abs(x));
      case MISH -> x * Math.tanh(softplus(x));
      case CAST_BOOL -> xf != 0f ? 1 : 0;
      case TRUNC_WRAP -> truncWrap(x, p, q != 0);
      case ROUND_HALF -> roundToBits(xf, 10, -14, 65520f);
    };
  }

  /** Floating-point operations per element for the cost model: the formula's arithmetic, a library function counting one. */
  public int flopsPerElement() {
    return switch (this) {
      case RELU, CLIP, IDENTITY, NEG, ABS, FLOOR, CEIL, ROUND, SIGN, NOT, ISNAN, ISINF, CAST_BOOL, SQRT, RECIPROCAL,
          EXP, LOG, SIN, COS, TAN, ASIN, ACOS, ATAN, SINH, COSH, TANH, ERF -> 1;
      case LEAKY_RELU, THRESHOLDED_RELU, SOFTSIGN, TRUNC_WRAP, ASINH, ACOSH, ATANH -> 3;
      case HARD_SIGMOID, HARD_SWISH, ELU, SELU, CELU, SIGMOID, SOFTPLUS, ROUND_HALF -> 4;
      case GELU, GELU_TANH, MISH -> 6;
    };
  }

  static double softplus(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  static double truncWrap(double x, float modulus, boolean signed) {
    double t = x < 0 ? Math.ceil(x) : Math.floor(x);
    if (modulus == 0 || Double.isNaN(t)) {
      return t;
    }
    double w = t - modulus * Math.floor(t / modulus);
    return signed && w >= modulus / 2 ? w - modulus : w;
  }

  /**
   * {@code x} rounded to {@code mantissaBits} fraction bits (ties to even), with the quantum of
   * exponent {@code minExponent} below it (subnormals); {@code overflow} and above become infinite.
   * Scaling by powers of two is exact, so rint does the rounding.
   */
  static float roundToBits(float x, int mantissaBits, int minExponent, float overflow) {
    if (Float.isNaN(x) || Float.isInfinite(x) || x == 0f) {
      return x;
    }
    float a = Math.abs(x);
    if (a >= overflow) {
      return Math.copySign(Float.POSITIVE_INFINITY, x);
    }
    int e = Math.max(Math.getExponent(a), minExponent);
    double quantum = Math.scalb(1.0, e - mantissaBits);
    return (float) Math.copySign(Math.rint(a / quantum) * quantum, x);
  }
}
