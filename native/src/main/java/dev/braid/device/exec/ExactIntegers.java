package dev.braid.device.exec;

import dev.braid.model.Tensor;

/**
 * Device buffers are float32: an integer or boolean tensor is carried as float32 values, which
 * hold every integer with |v| &lt;= 2^24 exactly and round larger ones. This check refuses a
 * tensor holding a larger value, naming it, instead of letting it be rounded silently; and a
 * value outside its own 8- or 16-bit type's range (a uint8 of 300 sent as a 32-bit field), which
 * the quantized operators' exactness bounds, taken from the type, would not cover.
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
    long[] range = typeRange(t);
    for (int i = 0; i < l.length; i++) {
      if (range != null && (l[i] < range[0] || l[i] > range[1])) {
        return what + " holds " + l[i] + " at element " + i + ", outside the range of " + t.dtype().onnxName()
            + " (expected " + range[0] + ".." + range[1] + ")";
      }
      if (l[i] > LIMIT || l[i] < -LIMIT) {
        return what + " holds " + l[i] + " at element " + i + " (" + t.dtype().onnxName() + "), beyond 2^24 = "
            + LIMIT + ", the largest integer Braid's float32 device buffers carry exactly";
      }
    }
    return null;
  }

  /** The inclusive range of a narrow integer type; null for the others. */
  private static long[] typeRange(Tensor t) {
    return switch (t.dtype()) {
      case UINT8 -> new long[] {0, 255};
      case INT8 -> new long[] {-128, 127};
      case UINT16 -> new long[] {0, 65535};
      case INT16 -> new long[] {-32768, 32767};
      default -> null;
    };
  }
}
