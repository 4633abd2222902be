package dev.braid.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable-by-convention host tensor: a static shape, a logical dtype, and its data held as
 * {@code float[]} (floating dtypes, converted to float32) or {@code long[]} (integer and boolean
 * dtypes). Exactly one of the two arrays is non-null. Callers must not mutate the arrays they
 * receive from {@link #floats()} or {@link #longs()}.
 */
public final class Tensor {
  private final DType dtype;
  private final Shape shape;
  private final float[] floats;
  private final long[] longs;

  private Tensor(DType dtype, Shape shape, float[] floats, long[] longs) {
    this.dtype = Objects.requireNonNull(dtype, "dtype");
    this.shape = Objects.requireNonNull(shape, "shape");
    this.floats = floats;
    this.longs = longs;
    int n = floats != null ? floats.length : longs.length;
    if (n != shape.size()) {
      throw new IllegalArgumentException(
          "tensor of shape " + shape + " needs " + shape.size() + " elements, got " + n);
    }
  }

  /** A float32 tensor over {@code data} (not copied). */
  public static Tensor ofFloats(Shape shape, float[] data) {
    return new Tensor(DType.FLOAT32, shape, data, null);
  }

  /** A tensor of a floating dtype whose values are already converted to float32. */
  public static Tensor ofFloats(DType dtype, Shape shape, float[] data) {
    if (!dtype.isFloating()) {
      throw new IllegalArgumentException("dtype " + dtype + " is not floating");
    }
    return new Tensor(dtype, shape, data, null);
  }

  /** An INT64 tensor over {@code data} (not copied). */
  public static Tensor ofLongs(Shape shape, long[] data) {
    return new Tensor(DType.INT64, shape, null, data);
  }

  /** A tensor of an integer or boolean dtype held as longs. */
  public static Tensor ofLongs(DType dtype, Shape shape, long[] data) {
    if (dtype.isFloating()) {
      throw new IllegalArgumentException("dtype " + dtype + " is floating");
    }
    return new Tensor(dtype, shape, null, data);
  }

  public DType dtype() {
    return dtype;
  }

  public Shape shape() {
    return shape;
  }

  public boolean isFloating() {
    return floats != null;
  }

  /** The float data; throws if this tensor holds integers. */
  public float[] floats() {
    if (floats == null) {
      throw new IllegalStateException("tensor of dtype " + dtype + " holds integers, not floats");
    }
    return floats;
  }

  /** The integer data; throws if this tensor holds floats. */
  public long[] longs() {
    if (longs == null) {
      throw new IllegalStateException("tensor of dtype " + dtype + " holds floats, not integers");
    }
    return longs;
  }

  /** Element {@code i} (flat, row-major) as a double, whatever the storage. */
  public double get(int i) {
    return floats != null ? floats[i] : longs[i];
  }

  /** The data as float32, converting integers. */
  public float[] toFloats() {
    if (floats != null) {
      return floats;
    }
    float[] f = new float[longs.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = longs[i];
    }
    return f;
  }

  /** The data as longs, truncating floats. */
  public long[] toLongs() {
    if (longs != null) {
      return longs;
    }
    long[] l = new long[floats.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = (long) floats[i];
    }
    return l;
  }

  /** The same data under another shape of equal size. */
  public Tensor reshape(Shape newShape) {
    return new Tensor(dtype, newShape, floats, longs);
  }

  public int size() {
    return shape.size();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t
        && dtype == t.dtype
        && shape.equals(t.shape)
        && Arrays.equals(floats, t.floats)
        && Arrays.equals(longs, t.longs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dtype, shape, Arrays.hashCode(floats), Arrays.hashCode(longs));
  }

  @Override
  public String toString() {
    return "Tensor[" + dtype + " " + shape + "]";
  }
}
