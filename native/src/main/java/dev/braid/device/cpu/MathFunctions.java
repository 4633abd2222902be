package dev.braid.device.cpu;

/** Scalar functions the CPU kernels need beyond {@link Math}, computed in double. */
public final class MathFunctions {
  private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);
  /** erfc(5.9) < 1e-16: beyond it erf is +-1 in double, let alone float. */
  private static final double SATURATION = 5.9;
  private static final double SQRT_HALF = Math.sqrt(0.5);
  private static final double SQRT_TWO_OVER_PI = Math.sqrt(2.0 / Math.PI);

  private MathFunctions() {}

  /**
   * The error function, to about 1e-15 absolute. Uses the everywhere-convergent series
   * {@code erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))}, whose terms
   * are all positive, so no cancellation loses digits.
   */
  public static double erf(double x) {
    if (Double.isNaN(x)) {
      return x;
    }
    double ax = Math.abs(x);
    if (ax >= SATURATION) {
      return Math.copySign(1.0, x);
    }
    double x2 = ax * ax;
    double term = ax;
    double sum = ax;
    for (int n = 1; n < 400; n++) {
      term *= 2.0 * x2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) {
        break;
      }
    }
    double r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    return Math.copySign(Math.min(r, 1.0), x);
  }

  /** Gelu, exact form {@code 0.5 x (1 + erf(x / sqrt 2))}. */
  public static double gelu(double x) {
    return 0.5 * x * (1.0 + erf(x * SQRT_HALF));
  }

  /** Gelu, tanh approximation {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
  public static double geluTanh(double x) {
    return 0.5 * x * (1.0 + Math.tanh(SQRT_TWO_OVER_PI * (x + 0.044715 * x * x * x)));
  }

  /** The logistic function, stable for large |x|. */
  public static double sigmoid(double x) {
    if (x >= 0) {
      return 1.0 / (1.0 + Math.exp(-x));
    }
    double e = Math.exp(x);
    return e / (1.0 + e);
  }
}
