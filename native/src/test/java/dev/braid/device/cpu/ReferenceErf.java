package dev.braid.device.cpu;

/**
 * An independent erf for tests: Maclaurin series with alternating terms for |x| < 3, where double
 * precision absorbs the cancellation, and the asymptotic continued fraction for erfc beyond.
 */
final class ReferenceErf {
  private ReferenceErf() {}

  static double erf(double x) {
    double ax = Math.abs(x);
    double r;
    if (ax < 3) {
      double sum = 0, term = ax;
      for (int n = 0; n < 200; n++) {
        double t = term / (2 * n + 1);
        sum += t;
        term *= -ax * ax / (n + 1);
        if (Math.abs(t) < 1e-18) {
          break;
        }
      }
      r = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      double f = 0; // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
      for (int k = 60; k >= 1; k--) {
        f = (k / 2.0) / (ax + f);
      }
      r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
    }
    return Math.copySign(r, x);
  }
}
