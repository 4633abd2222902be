package dev.braid.device.kernel;

import java.util.List;
import java.util.Objects;

/**
 * Pooling over 1 to 3 spatial axes, for what {@link Pool2d} does not cover: 3-D windows, LpPool,
 * and MaxPool's Indices output. The input is {@code planes} (N x C) planes of {@code in} spatial
 * dims; window {@code o} covers, per axis, {@code o * stride - padBegin + i * dilation} for
 * {@code i < kernel}, positions outside {@code [0, in)} skipped.
 *
 * <ul>
 *   <li>{@link Kind#MAX}: the largest element (NaN wins, as the CPU's Math.max);
 *   <li>{@link Kind#AVERAGE}: the sum over the valid positions divided by their count, or, with
 *       {@code countIncludePad}, by the positions inside {@code [-padBegin, in + padEnd)};
 *   <li>{@link Kind#LP}: {@code (sum |x|^p)^(1/p)} over the valid positions;
 *   <li>{@link Kind#MAX_INDEX}: the flat index in the whole input of the first largest element,
 *       row-major, or column-major over the spatial axes when {@code columnMajor} (ONNX
 *       {@code storage_order} 1), as a float32 integer.
 * </ul>
 * Arguments: X, Y.
 */
public record PoolNd(Kind kind, int planes, List<Integer> in, List<Integer> kernel, List<Integer> stride,
    List<Integer> padBegin, List<Integer> padEnd, List<Integer> dilation, List<Integer> out, boolean countIncludePad,
    int p, boolean columnMajor) implements Kernel {
  /** What a window computes. */
  public enum Kind { MAX, AVERAGE, LP, MAX_INDEX }

  /** The most spatial axes (the CUDA kernel's limit). */
  public static final int MAX_SPATIAL = 3;

  public PoolNd {
    Objects.requireNonNull(kind, "kind");
    in = List.copyOf(in);
    kernel = List.copyOf(kernel);
    stride = List.copyOf(stride);
    padBegin = List.copyOf(padBegin);
    padEnd = List.copyOf(padEnd);
    dilation = List.copyOf(dilation);
    out = List.copyOf(out);
    int r = in.size();
    if (r < 1 || r > MAX_SPATIAL) {
      throw new IllegalArgumentException("PoolNd.in must have 1 to " + MAX_SPATIAL + " spatial dims, got " + in);
    }
    for (List<Integer> l : List.of(kernel, stride, padBegin, padEnd, dilation, out)) {
      if (l.size() != r) {
        throw new IllegalArgumentException("PoolNd: every geometry list must have " + r + " entries, got " + l);
      }
    }
    Checks.nonNegative("PoolNd", "planes", planes);
    for (int i = 0; i < r; i++) {
      Checks.positive("PoolNd", "kernel[" + i + "]", kernel.get(i));
      Checks.positive("PoolNd", "stride[" + i + "]", stride.get(i));
      Checks.positive("PoolNd", "dilation[" + i + "]", dilation.get(i));
      Checks.nonNegative("PoolNd", "padBegin[" + i + "]", padBegin.get(i));
      Checks.nonNegative("PoolNd", "padEnd[" + i + "]", padEnd.get(i));
    }
    if (kind == Kind.LP && p < 1) {
      throw new IllegalArgumentException("PoolNd.p must be >= 1 for LP, got " + p);
    }
  }

  public long inputElements() {
    long n = planes;
    for (int d : in) {
      n *= d;
    }
    return n;
  }

  public long outputElements() {
    long n = planes;
    for (int d : out) {
      n *= d;
    }
    return n;
  }

  public long windowElements() {
    long n = 1;
    for (int d : kernel) {
      n *= d;
    }
    return n;
  }

  @Override
  public List<String> argNames() {
    return List.of("X", kind == Kind.MAX_INDEX ? "Indices" : "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 0 ? inputElements() : outputElements());
  }

  @Override
  public long flops() {
    return outputElements() * windowElements() * (kind == Kind.LP ? 3 : 1);
  }
}
