package dev.braid.device.kernel;

import java.util.List;

/**
 * A convolution computed directly, one output element at a time, over {@link #groups} channel
 * groups with an optional bias: {@link ConvTranspose2d} and {@link ConvNd}. What they share is
 * their channel arithmetic and their arguments, X, W, [B], Y; X has {@link #c} channels, Y
 * {@link #m}, and {@code groups} divides both.
 */
public sealed interface DirectConvolution extends Kernel permits ConvTranspose2d, ConvNd {
  /** Channels of X. */
  int c();

  /** Channels of Y. */
  int m();

  int groups();

  boolean hasBias();

  /** Input channels per group. */
  default int inputsPerGroup() {
    return c() / groups();
  }

  /** Output channels per group (a transposed convolution's W dimension 1). */
  default int outputsPerGroup() {
    return m() / groups();
  }

  @Override
  default List<String> argNames() {
    return hasBias() ? List.of("X", "W", "B", "Y") : List.of("X", "W", "Y");
  }

  /** Checks that {@code groups} (already checked positive) divides {@code c} and {@code m}; the message names {@code kernel}. */
  static void checkGroupsDivide(String kernel, int c, int m, int groups) {
    if (c % groups != 0 || m % groups != 0) {
      throw new IllegalArgumentException(kernel + ".groups=" + groups + " must divide c=" + c + " and m=" + m);
    }
  }
}
