package dev.braid.device.kernel;

import java.util.List;

/**
 * A 2-D convolution over NCHW: X {@code [n, c, h, w]}, W {@code [k, c/groups, kernelH, kernelW]},
 * optional bias {@code [k]}, Y {@code [n, k, outH, outW]}, then the fused {@link Activation}.
 * A 1-D convolution is the case {@code h = kernelH = 1}. Depthwise is {@code groups == c}.
 *
 * <p>{@link Precision} says what the multiply sees: float32 X and W, or both rounded to bf16 with
 * float32 accumulation; bias and activation are float32 either way.
 *
 * <p>Invariants: sizes, strides and dilations positive; pads non-negative; {@code groups}
 * divides both {@code c} and {@code k}; the output is at least 1 x 1; precision non-null.
 * Arguments: X, W, [B], Y.
 */
public record Conv2d(
    int n, int c, int h, int w, int k, int kernelH, int kernelW,
    int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
    int dilationH, int dilationW, int groups, boolean hasBias, Activation activation,
    Precision precision)
    implements Kernel {

  public Conv2d {
    Checks.positive("Conv2d", "n", n);
    Checks.positive("Conv2d", "c", c);
    Checks.positive("Conv2d", "h", h);
    Checks.positive("Conv2d", "w", w);
    Checks.positive("Conv2d", "k", k);
    Checks.positive("Conv2d", "kernelH", kernelH);
    Checks.positive("Conv2d", "kernelW", kernelW);
    Checks.positive("Conv2d", "strideH", strideH);
    Checks.positive("Conv2d", "strideW", strideW);
    Checks.nonNegative("Conv2d", "padTop", padTop);
    Checks.nonNegative("Conv2d", "padLeft", padLeft);
    Checks.nonNegative("Conv2d", "padBottom", padBottom);
    Checks.nonNegative("Conv2d", "padRight", padRight);
    Checks.positive("Conv2d", "dilationH", dilationH);
    Checks.positive("Conv2d", "dilationW", dilationW);
    Checks.positive("Conv2d", "groups", groups);
    if (c % groups != 0 || k % groups != 0) {
      throw new IllegalArgumentException(
          "Conv2d.groups=" + groups + " must divide c=" + c + " and k=" + k);
    }
    if (activation == null) {
      throw new IllegalArgumentException("Conv2d.activation must not be null; use Activation.NONE");
    }
    if (precision == null) {
      throw new IllegalArgumentException("Conv2d.precision must not be null; use Precision.FP32");
    }
    int oh = (h + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1;
    int ow = (w + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1;
    if (h + padTop + padBottom < dilationH * (kernelH - 1) + 1 || oh < 1
        || w + padLeft + padRight < dilationW * (kernelW - 1) + 1 || ow < 1) {
      throw new IllegalArgumentException(
          "Conv2d kernel " + kernelH + "x" + kernelW + " (dilation " + dilationH + "x" + dilationW
              + ") does not fit padded input " + (h + padTop + padBottom) + "x" + (w + padLeft + padRight));
    }
  }

  /** A float32 ({@link Precision#FP32}) convolution. */
  public Conv2d(int n, int c, int h, int w, int k, int kernelH, int kernelW,
      int strideH, int strideW, int padTop, int padLeft, int padBottom, int padRight,
      int dilationH, int dilationW, int groups, boolean hasBias, Activation activation) {
    this(n, c, h, w, k, kernelH, kernelW, strideH, strideW, padTop, padLeft, padBottom, padRight,
        dilationH, dilationW, groups, hasBias, activation, Precision.FP32);
  }

  /** This convolution in {@code p}, everything else equal. */
  public Conv2d withPrecision(Precision p) {
    return new Conv2d(n, c, h, w, k, kernelH, kernelW, strideH, strideW, padTop, padLeft, padBottom, padRight,
        dilationH, dilationW, groups, hasBias, activation, p);
  }

  /** A convolution with equal strides, pads and dilations on both axes, no bias, no activation. */
  public static Conv2d simple(int n, int c, int h, int w, int k, int kernel, int stride, int pad, int groups) {
    return new Conv2d(n, c, h, w, k, kernel, kernel, stride, stride, pad, pad, pad, pad, 1, 1,
        groups, false, Activation.NONE);
  }

  public int outH() {
    return (h + padTop + padBottom - dilationH * (kernelH - 1) - 1) / strideH + 1;
  }

  public int outW() {
    return (w + padLeft + padRight - dilationW * (kernelW - 1) - 1) / strideW + 1;
  }

  /** Input channels per group. */
  public int channelsPerGroup() {
    return c / groups;
  }

  /** Each group sees one input channel: the depthwise case. */
  public boolean isDepthwise() {
    return groups == c && groups > 1;
  }

  @Override
  public List<String> argNames() {
    return hasBias ? List.of("X", "W", "B", "Y") : List.of("X", "W", "Y");
  }

  @Override
  public long argBytes(int index) {
    String name = argNames().get(index);
    return switch (name) {
      case "X" -> Checks.bytes((long) n * c * h * w);
      case "W" -> Checks.bytes((long) k * channelsPerGroup() * kernelH * kernelW);
      case "B" -> Checks.bytes(k);
      default -> Checks.bytes((long) n * k * outH() * outW());
    };
  }

  @Override
  public long flops() {
    long outputs = (long) n * k * outH() * outW();
    return 2L * outputs * channelsPerGroup() * kernelH * kernelW + (hasBias ? outputs : 0);
  }
}
