package dev.braid.bench;

import dev.braid.model.Tensor;
import java.util.Map;

/** Comparisons of two runtimes' outputs. */
final class Outputs {
  private Outputs() {}

  /**
   * The largest absolute difference over every output both maps hold; infinite when an output is
   * missing from one of them or their shapes differ, so a mismatch cannot pass unseen.
   */
  static double maxAbsDiff(Map<String, Tensor> a, Map<String, Tensor> b) {
    if (!a.keySet().equals(b.keySet())) {
      return Double.POSITIVE_INFINITY;
    }
    double max = 0;
    for (Map.Entry<String, Tensor> e : a.entrySet()) {
      Tensor x = e.getValue();
      Tensor y = b.get(e.getKey());
      if (!x.shape().equals(y.shape())) {
        return Double.POSITIVE_INFINITY;
      }
      float[] xf = x.toFloats();
      float[] yf = y.toFloats();
      for (int i = 0; i < xf.length; i++) {
        double d = Math.abs((double) xf[i] - yf[i]);
        if (!(d <= max)) {
          max = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
        }
      }
    }
    return max;
  }
}
