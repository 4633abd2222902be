package dev.braid.model.fold;

import dev.braid.model.Attributes;
import dev.braid.model.Node;

/**
 * The unary elementwise operators on one float32 value, in double precision, with ONNX's
 * attribute defaults: the host's reference for constant folding. Booleans come back as 0 or 1.
 */
final class UnaryMath {
  private UnaryMath() {}

  /** Selu's defaults, as ONNX states them (float32 values of the published constants). */
  static final float SELU_ALPHA = 1.67326319217681884765625f;
  static final float SELU_GAMMA = 1.05070102214813232421875f;

  static double apply(Node n, String op, float xf) {
    double x = xf;
    Attributes a = n.attributes();
    return switch (op) {
      case "Sqrt" -> Math.sqrt(x);
      case "Relu" -> Math.max(x, 0);
      case "Neg" -> -x;
      case "Reciprocal" -> 1 / x;
      case "Exp" -> Math.exp(x);
      case "Log" -> Math.log(x);
      case "Abs" -> Math.abs(x);
      case "Floor" -> Math.floor(x);
      case "Ceil" -> Math.ceil(x);
      case "Round" -> Math.rint(x); // half to even
      case "Sign" -> Math.signum(x);
      case "Sin" -> Math.sin(x);
      case "Cos" -> Math.cos(x);
      case "Tan" -> Math.tan(x);
      case "Asin" -> Math.asin(x);
      case "Acos" -> Math.acos(x);
      case "Atan" -> Math.atan(x);
      case "Sinh" -> Math.sinh(x);
      case "Cosh" -> Math.cosh(x);
      case "Asinh" -> Double.isInfinite(x) ? x : Math.copySign(Math.log(Math.abs(x) + Math.sqrt(x * x + 1)), x);
      case "Acosh" -> Math.log(x + Math.sqrt(x * x - 1));
      case "Atanh" -> 0.5 * Math.log((1 + x) / (1 - x));
      case "Not" -> x == 0 ? 1 : 0;
      case "IsNaN" -> Double.isNaN(x) ? 1 : 0;
      case "IsInf" -> (x == Double.POSITIVE_INFINITY && a.getInt("detect_positive", 1) != 0)
          || (x == Double.NEGATIVE_INFINITY && a.getInt("detect_negative", 1) != 0) ? 1 : 0;
      case "HardSigmoid" -> Math.max(0, Math.min(1, a.getFloat("alpha", 0.2f) * x + a.getFloat("beta", 0.5f)));
      case "HardSwish" -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
      case "LeakyRelu" -> x < 0 ? a.getFloat("alpha", 0.01f) * x : x;
      case "ThresholdedRelu" -> x > a.getFloat("alpha", 1f) ? x : 0;
      case "Elu" -> x < 0 ? a.getFloat("alpha", 1f) * Math.expm1(x) : x;
      case "Selu" -> a.getFloat("gamma", SELU_GAMMA) * (x <= 0 ? a.getFloat("alpha", SELU_ALPHA) * Math.expm1(x) : x);
      case "Celu" -> {
        double alpha = a.getFloat("alpha", 1f);
        yield Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha));
      }
      case "Softplus" -> softplus(x);
      case "Softsign" -> x / (1 + Math.abs(x));
      case "Mish" -> x * Math.tanh(softplus(x));
      default -> throw new IllegalArgumentException("no host evaluation of " + op);
    };
  }

  /** log(1 + e^x) without overflow for large x. */
  static double softplus(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }
}
