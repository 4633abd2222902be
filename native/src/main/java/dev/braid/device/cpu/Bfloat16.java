package dev.braid.device.cpu;

/**
 * bfloat16 rounding as the CUDA kernels do it: {@code __float2bfloat16_rn} in
 * {@code braid_f32_to_bf16} (native/src/main/cuda/wmma_bf16.cuh), that is, keep the upper 16 bits
 * of the float32 with round-to-nearest, ties to even. Subnormals round like any other value (no
 * flush to zero); values above the largest bf16 round to infinity; infinities stay; every NaN
 * becomes the quiet NaN {@code 0x7FFF} (CUDA's host path does the same, its device path yields
 * some quiet NaN: a NaN either way, which is all arithmetic can see).
 */
final class Bfloat16 {
  /** The bf16 bit pattern CUDA's conversion produces for NaN. */
  static final int CANONICAL_NAN = 0x7FFF;

  private Bfloat16() {}

  /** The 16 bits of {@code x} rounded to bf16, in the low half of the int. */
  static int bits(float x) {
    int u = Float.floatToRawIntBits(x);
    if ((u & 0x7FFF_FFFF) > 0x7F80_0000) {
      return CANONICAL_NAN;
    }
    // Adding 0x7FFF rounds up exactly when the dropped half exceeds 0x8000; the kept LSB breaks the
    // tie 0x8000 towards even. A carry out of the mantissa correctly bumps the exponent (to Inf at the top).
    return (u + 0x7FFF + ((u >>> 16) & 1)) >>> 16;
  }

  /** The float32 value of bf16 bits. */
  static float value(int bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** {@code x} rounded to the nearest bf16, as a float32 (exact: bf16 is a float32 prefix). */
  static float round(float x) {
    return value(bits(x));
  }

  /** Rounds {@code n} elements of {@code src} from {@code srcOff} into {@code dst} from {@code dstOff}. */
  static void round(float[] src, int srcOff, float[] dst, int dstOff, int n) {
    for (int i = 0; i < n; i++) {
      dst[dstOff + i] = round(src[srcOff + i]);
    }
  }
}
