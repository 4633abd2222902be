package dev.braid.model.onnx;

/** IEEE 754 binary16 and bfloat16 bit patterns to float32 (Java 17 has no Float.float16ToFloat). */
final class HalfFloats {
  private HalfFloats() {}

  /** Converts the 16 low bits of {@code bits}, an IEEE half, exactly to float32. */
  static float halfToFloat(int bits) {
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    if (exp == 0x1F) {
      // Inf or NaN: float32 exponent all ones, keep the payload.
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      // Subnormal half: value = mant * 2^-24, exact in float32.
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    // Normal: rebias the exponent from 15 to 127.
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** bfloat16 is the upper half of a float32. */
  static float bfloat16ToFloat(int bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }
}
