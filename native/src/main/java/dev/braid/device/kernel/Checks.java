package dev.braid.device.kernel;

/** Parameter checks shared by the kernel records; messages name the kernel, field and value. */
final class Checks {
  private Checks() {}

  static void positive(String kernel, String field, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(kernel + "." + field + " must be > 0, got " + value);
    }
  }

  static void nonNegative(String kernel, String field, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(kernel + "." + field + " must be >= 0, got " + value);
    }
  }

  static void finite(String kernel, String field, float value) {
    if (!Float.isFinite(value)) {
      throw new IllegalArgumentException(kernel + "." + field + " must be finite, got " + value);
    }
  }

  /** Bytes of {@code elements} float32 values. */
  static long bytes(long elements) {
    return elements * 4L;
  }
}
