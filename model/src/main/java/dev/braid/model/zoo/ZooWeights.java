package dev.braid.model.zoo;

import java.util.SplittableRandom;

/**
 * Draws a model's weights from one {@link SplittableRandom}, in the order the model asks for
 * them, so a seed fixes every value. Uniform draws are computed here from {@code nextLong()}
 * rather than through JDK helpers whose algorithms may change between releases.
 */
final class ZooWeights {
  private final SplittableRandom rng;

  ZooWeights(SplittableRandom rng) {
    this.rng = rng;
  }

  /** A stream for model {@code name}: the seed mixed with the name, so models are independent. */
  static ZooWeights forModel(long seed, String name) {
    return new ZooWeights(new SplittableRandom(seed ^ (name.hashCode() * 0x9E3779B97F4A7C15L)));
  }

  /** One value uniform in [lo, hi). */
  float uniform(double lo, double hi) {
    double u = (rng.nextLong() >>> 11) * 0x1.0p-53; // 53 random bits in [0, 1)
    return (float) (lo + (hi - lo) * u);
  }

  /** {@code n} values uniform in [lo, hi). */
  float[] uniform(int n, double lo, double hi) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = uniform(lo, hi);
    }
    return out;
  }

  /**
   * He (Kaiming) scaling for a layer followed by ReLU: variance 2 / fanIn, drawn uniform in
   * [-a, a] with a = sqrt(6 / fanIn), which keeps activations O(1) layer after layer.
   */
  float[] he(int n, int fanIn) {
    double a = Math.sqrt(6.0 / fanIn);
    return uniform(n, -a, a);
  }

  /** Variance 1 / fanIn (LeCun scaling) for layers with no ReLU after them. */
  float[] lecun(int n, int fanIn) {
    double a = Math.sqrt(3.0 / fanIn);
    return uniform(n, -a, a);
  }
}
