package dev.braid.device;

/** Float arrays as their raw bits, so that tests can assert results equal bit for bit (NaNs and signed zeros too). */
public final class FloatBits {
  private FloatBits() {}

  /** {@link Float#floatToRawIntBits} of each element, for {@code assertArrayEquals}. */
  public static int[] bits(float[] a) {
    int[] b = new int[a.length];
    for (int i = 0; i < a.length; i++) {
      b[i] = Float.floatToRawIntBits(a[i]);
    }
    return b;
  }
}
