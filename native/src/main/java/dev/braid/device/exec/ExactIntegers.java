package dev.braid.device.exec;

import dev.braid.model.Tensor;

/**
 * Device buffers are float32: an integer or boolean tensor is carried as float32 values, which
 * hold every integer with |v| &lt;= 2^24 exactly and round larger ones. This check refuses a
 * tensor holding a larger value, naming it, instead of letting it be rounded silently.
 */
final class ExactIntegers {
  /** 2^24: the largest magnitude up to which float32 holds every integer. */
  static final long LIMIT = 1L << 24;

  private ExactIntegers() {}

  /** Null when every value of {@code t} is carried exactly; else the first that is not, in words. */
  static String violation(Tensor t, String what) {
    if (t.isFloating()) {
      return null;
    }
    long[] l = t.longs();
    for (int i = 0; i < l.length; i++) {
      if (l[i] > LIMIT || l[i] < -LIMIT) {
        return what + " holds " + l[i] + " at element " + i + " (" + t.dtype().onnxName() + "), beyond 2^24 = "
            + LIMIT + ", the largest integer Braid's float32 device buffers carry exactly";
      }
    }
    return null;
  }
}
