package dev.braid.device.kernel;

import java.util.List;
import java.util.Objects;

/**
 * A convolution or transposed convolution over 1 to {@value #MAX_SPATIAL} spatial axes, computed
 * directly, one output element at a time: what {@link Conv2d} (implicit GEMM) and
 * {@link ConvTranspose2d} do not cover, ONNX Conv and ConvTranspose over three spatial axes (video
 * and volume models). X is {@code [n, c, in...]}, the optional bias {@code [m]}, Y
 * {@code [n, m, out...]}; per spatial axis a tap {@code k} of output position {@code o} meets
 * input position {@code i} where
 *
 * <ul>
 *   <li>{@link Kind#CONV}: {@code i = o * stride - padBegin + k * dilation}; W is
 *       {@code [m, c/groups, kernel...]} and {@code Y[o] = B + sum X[i] * W[o, ci, k]} over the
 *       input channels {@code ci} of o's group;
 *   <li>{@link Kind#CONV_TRANSPOSE}: {@code i * stride = o + padBegin - k * dilation}; W is
 *       {@code [c, m/groups, kernel...]} and {@code Y[o] = B + sum X[i] * W[i's channel, o % (m/groups), k]}.
 * </ul>
 *
 * A tap whose input position falls outside {@code [0, in)} (the padding) adds nothing. The output
 * sizes are explicit, so the end pads (and ConvTranspose's output_padding) are folded into
 * {@code out}.
 *
 * <p>Invariants: every geometry list has {@code in.size()} entries, 1 to {@value #MAX_SPATIAL};
 * sizes, strides, dilations and groups positive; {@code groups} divides {@code c} and {@code m};
 * {@code padBegin} non-negative for {@link Kind#CONV} (a transposed convolution's may be negative:
 * an {@code output_shape} larger than the natural one). Arguments: X, W, [B], Y.
 */
public record ConvNd(Kind kind, int n, int c, int m, List<Integer> in, List<Integer> kernel, List<Integer> stride,
    List<Integer> padBegin, List<Integer> dilation, List<Integer> out, int groups, boolean hasBias)
    implements DirectConvolution {
  /** Which way the window maps outputs to inputs. */
  public enum Kind { CONV, CONV_TRANSPOSE }

  /** The most spatial axes (the CUDA kernel's limit, as {@link PoolNd}'s). */
  public static final int MAX_SPATIAL = 3;

  public ConvNd {
    Objects.requireNonNull(kind, "kind");
    in = List.copyOf(in);
    kernel = List.copyOf(kernel);
    stride = List.copyOf(stride);
    padBegin = List.copyOf(padBegin);
    dilation = List.copyOf(dilation);
    out = List.copyOf(out);
    int r = in.size();
    if (r < 1 || r > MAX_SPATIAL) {
      throw new IllegalArgumentException("ConvNd.in must have 1 to " + MAX_SPATIAL + " spatial dims, got " + in);
    }
    for (List<Integer> l : List.of(kernel, stride, padBegin, dilation, out)) {
      if (l.size() != r) {
        throw new IllegalArgumentException("ConvNd: every geometry list must have " + r + " entries, got " + l);
      }
    }
    Checks.positive("ConvNd", "n", n);
    Checks.positive("ConvNd", "c", c);
    Checks.positive("ConvNd", "m", m);
    Checks.positive("ConvNd", "groups", groups);
    for (int d = 0; d < r; d++) {
      Checks.positive("ConvNd", "in[" + d + "]", in.get(d));
      Checks.positive("ConvNd", "kernel[" + d + "]", kernel.get(d));
      Checks.positive("ConvNd", "stride[" + d + "]", stride.get(d));
      Checks.positive("ConvNd", "dilation[" + d + "]", dilation.get(d));
      Checks.positive("ConvNd", "out[" + d + "]", out.get(d));
      if (kind == Kind.CONV) {
        Checks.nonNegative("ConvNd", "padBegin[" + d + "]", padBegin.get(d));
      }
    }
    DirectConvolution.checkGroupsDivide("ConvNd", c, m, groups);
  }

  /** Elements of one spatial plane of X. */
  public long inputPlane() {
    return product(in);
  }

  /** Elements of one spatial plane of Y. */
  public long outputPlane() {
    return product(out);
  }

  /** Taps of one filter (the product of the kernel sizes). */
  public long taps() {
    return product(kernel);
  }

  /** Elements of Y. */
  public long outputElements() {
    return (long) n * m * outputPlane();
  }

  @Override
  public long argBytes(int index) {
    return switch (argNames().get(index)) {
      case "X" -> Checks.bytes((long) n * c * inputPlane());
      case "W" -> Checks.bytes((kind == Kind.CONV ? (long) m * inputsPerGroup() : (long) c * outputsPerGroup()) * taps());
      case "B" -> Checks.bytes(m);
      default -> Checks.bytes(outputElements());
    };
  }

  /**
   * The multiply-adds the kernel performs, exactly: per spatial axis the (output position, tap)
   * pairs that meet an input position inside {@code [0, in)} ({@link #validPairs}; the axes are
   * independent, so a plane's count is their product), times the input channels of a group, for
   * every image and output channel; plus one add per output for the bias. Taps that fall in the
   * padding, or between a transposed convolution's strides, cost no FLOP.
   */
  @Override
  public long flops() {
    long pairs = 1;
    for (int d = 0; d < in.size(); d++) {
      pairs *= validPairs(d);
    }
    return 2L * n * m * inputsPerGroup() * pairs + (hasBias ? outputElements() : 0);
  }

  /** Along spatial axis {@code d}, the (output position, tap) pairs whose input position is inside the input. */
  public long validPairs(int d) {
    int size = in.get(d), s = stride.get(d), p = padBegin.get(d), dil = dilation.get(d);
    long count = 0;
    for (int o = 0; o < out.get(d); o++) {
      for (int k = 0; k < kernel.get(d); k++) {
        if (kind == Kind.CONV) {
          int i = o * s - p + k * dil;
          count += i >= 0 && i < size ? 1 : 0;
        } else {
          int t = o + p - k * dil;
          count += t >= 0 && t % s == 0 && t / s < size ? 1 : 0;
        }
      }
    }
    return count;
  }

  private static long product(List<Integer> l) {
    long p = 1;
    for (int v : l) {
      p *= v;
    }
    return p;
  }
}
