package dev.braid.model;

import java.util.Arrays;

/** An immutable, fully static tensor shape. A scalar has rank 0 and one element. */
public final class Shape {
  private static final Shape SCALAR = new Shape(new int[0]);

  private final int[] dims;

  private Shape(int[] dims) {
    this.dims = dims;
  }

  /** A shape from non-negative dimensions; rejects negative ones. */
  public static Shape of(int... dims) {
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        throw new IllegalArgumentException(
            "dimension " + i + " must be >= 0, got " + dims[i] + " in " + Arrays.toString(dims));
      }
    }
    return dims.length == 0 ? SCALAR : new Shape(dims.clone());
  }

  /** A shape from {@code long} dimensions (as ONNX stores them); each must fit an int. */
  public static Shape of(long... dims) {
    int[] d = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "dimension " + i + " must be in [0, 2^31), got " + dims[i] + " in " + Arrays.toString(dims));
      }
      d[i] = (int) dims[i];
    }
    return d.length == 0 ? SCALAR : new Shape(d);
  }

  public static Shape scalar() {
    return SCALAR;
  }

  public int rank() {
    return dims.length;
  }

  /** Dimension {@code i}; a negative {@code i} counts from the end, as ONNX axes do. */
  public int dim(int i) {
    return dims[i < 0 ? i + dims.length : i];
  }

  /** A copy of the dimensions. */
  public int[] dims() {
    return dims.clone();
  }

  /** A copy of the dimensions as longs. */
  public long[] longDims() {
    long[] d = new long[dims.length];
    for (int i = 0; i < dims.length; i++) {
      d[i] = dims[i];
    }
    return d;
  }

  /** The number of elements; throws if it exceeds what one Java array can hold. */
  public int size() {
    long n = 1;
    for (int d : dims) {
      n *= d;
    }
    if (n > Integer.MAX_VALUE) {
      throw new ArithmeticException("shape " + this + " has " + n + " elements, more than 2^31 - 1");
    }
    return (int) n;
  }

  /** Product of dimensions in {@code [from, to)}. */
  public int product(int from, int to) {
    int n = 1;
    for (int i = from; i < to; i++) {
      n *= dims[i];
    }
    return n;
  }

  /** Row-major strides in elements. */
  public int[] strides() {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= dims[i];
    }
    return s;
  }

  /** The same shape with dimension {@code i} replaced. */
  public Shape withDim(int i, int value) {
    int[] d = dims.clone();
    d[i < 0 ? i + d.length : i] = value;
    return Shape.of(d);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
