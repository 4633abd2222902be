package dev.braid.device.kernel;

/**
 * A 2-D transposed convolution (ONNX ConvTranspose) over NCHW, computed directly per output
 * element: X {@code [n, c, h, w]}, W {@code [c, m/groups, kernelH, kernelW]}, optional bias
 * {@code [m]}, Y {@code [n, m, outH, outW]} with
 * {@code Y[n, o, y, x] = B[o] + sum X[n, i, iy, ix] * W[i, o % (m/groups), ky, kx]} over the input
 * channels {@code i} of o's group and the taps where {@code y + padTop - ky * dilationH =
 * iy * strideH} (likewise for x). A 1-D one is the case {@code h = kernelH = 1}.
 *
 * <p>{@code padTop} and {@code padLeft} may be negative (an {@code output_shape} larger than the
 * natural one); the output size is explicit, so output_padding and the end pads are folded into
 * {@code outH}, {@code outW}. Invariants: sizes, strides, dilations and groups positive;
 * {@code groups} divides {@code c} and {@code m}. Arguments: X, W, [B], Y.
 */
public record ConvTranspose2d(
    int n, int c, int h, int w, int m, int kernelH, int kernelW, int strideH, int strideW,
    int padTop, int padLeft, int dilationH, int dilationW, int groups, int outH, int outW, boolean hasBias)
    implements DirectConvolution {

  public ConvTranspose2d {
    Checks.positive("ConvTranspose2d", "n", n);
    Checks.positive("ConvTranspose2d", "c", c);
    Checks.positive("ConvTranspose2d", "h", h);
    Checks.positive("ConvTranspose2d", "w", w);
    Checks.positive("ConvTranspose2d", "m", m);
    Checks.positive("ConvTranspose2d", "kernelH", kernelH);
    Checks.positive("ConvTranspose2d", "kernelW", kernelW);
    Checks.positive("ConvTranspose2d", "strideH", strideH);
    Checks.positive("ConvTranspose2d", "strideW", strideW);
    Checks.positive("ConvTranspose2d", "dilationH", dilationH);
    Checks.positive("ConvTranspose2d", "dilationW", dilationW);
    Checks.positive("ConvTranspose2d", "groups", groups);
    Checks.positive("ConvTranspose2d", "outH", outH);
    Checks.positive("ConvTranspose2d", "outW", outW);
    DirectConvolution.checkGroupsDivide("ConvTranspose2d", c, m, groups);
  }

  @Override
  public long argBytes(int index) {
    return switch (argNames().get(index)) {
      case "X" -> Checks.bytes((long) n * c * h * w);
      case "W" -> Checks.bytes((long) c * outputsPerGroup() * kernelH * kernelW);
      case "B" -> Checks.bytes(m);
      default -> Checks.bytes((long) n * m * outH * outW);
    };
  }

  /**
   * Every input element meets every tap of its group's outputs once (a multiply-add, whether or
   * not the tap lands inside the output, an upper bound of at most the cropped border), plus the bias.
   */
  @Override
  public long flops() {
    return 2L * n * c * h * w * outputsPerGroup() * kernelH * kernelW + (hasBias ? (long) n * m * outH * outW : 0);
  }
}
