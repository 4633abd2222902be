package dev.braid.device.kernel;

import java.util.List;

/**
 * Inference batch normalisation folded to a per-channel affine map over NC(spatial):
 * {@code Y[n, c, s] = X[n, c, s] * Scale[c] + Shift[c]}, where the lowering precomputes
 * {@code Scale = gamma / sqrt(var + eps)} and {@code Shift = beta - mean * Scale}.
 * Arguments: X, Scale, Shift, Y.
 */
public record BatchNorm(int n, int channels, int spatial) implements Kernel {
  public BatchNorm {
    Checks.positive("BatchNorm", "n", n);
    Checks.positive("BatchNorm", "channels", channels);
    Checks.positive("BatchNorm", "spatial", spatial);
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Scale", "Shift", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 1 || index == 2 ? channels : (long) n * channels * spatial);
  }

  @Override
  public long flops() {
    return 2L * n * channels * spatial;
  }
}
