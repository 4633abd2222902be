package dev.braid.device.kernel;

import java.util.List;

/**
 * Max or average pooling over NCHW windows: X {@code [n, c, h, w]}, Y {@code [n, c, outH, outW]}.
 * Output window {@code (i, j)} covers rows {@code i*strideH - padTop + r*dilationH}; positions
 * outside the input are skipped. The output size is given, so ONNX's ceil_mode is already in it.
 * For AVERAGE with {@code countIncludePad}, the divisor counts padded positions inside the padded
 * extent {@code [-padTop, h + padBottom)}; otherwise only input positions. Dilations apply to MAX
 * (ONNX AveragePool dilations are accepted too).
 *
 * <p>Invariants: sizes, strides, dilations positive; pads non-negative and smaller than the
 * dilated kernel; every output window starts inside the padded input. Arguments: X, Y.
 */
public record Pool2d(
    PoolMode mode, int n, int c, int h, int w, int kernelH, int kernelW, int strideH, int strideW,
    int padTop, int padLeft, int padBottom, int padRight, int dilationH, int dilationW,
    int outH, int outW, boolean countIncludePad) implements Kernel {

  /** Which reduction a window applies. */
  public enum PoolMode { MAX, AVERAGE }

  public Pool2d {
    if (mode == null) {
      throw new IllegalArgumentException("Pool2d.mode must not be null");
    }
    Checks.positive("Pool2d", "n", n);
    Checks.positive("Pool2d", "c", c);
    Checks.positive("Pool2d", "h", h);
    Checks.positive("Pool2d", "w", w);
    Checks.positive("Pool2d", "kernelH", kernelH);
    Checks.positive("Pool2d", "kernelW", kernelW);
    Checks.positive("Pool2d", "strideH", strideH);
    Checks.positive("Pool2d", "strideW", strideW);
    Checks.nonNegative("Pool2d", "padTop", padTop);
    Checks.nonNegative("Pool2d", "padLeft", padLeft);
    Checks.nonNegative("Pool2d", "padBottom", padBottom);
    Checks.nonNegative("Pool2d", "padRight", padRight);
    Checks.positive("Pool2d", "dilationH", dilationH);
    Checks.positive("Pool2d", "dilationW", dilationW);
    Checks.positive("Pool2d", "outH", outH);
    Checks.positive("Pool2d", "outW", outW);
    if ((outH - 1) * strideH - padTop >= h + padBottom || (outW - 1) * strideW - padLeft >= w + padRight) {
      throw new IllegalArgumentException(
          "Pool2d output " + outH + "x" + outW + " has windows starting beyond the padded input "
              + h + "x" + w);
    }
  }

  /** Square pooling with floor output size, no dilation, average excluding pads. */
  public static Pool2d simple(PoolMode mode, int n, int c, int h, int w, int kernel, int stride, int pad) {
    int oh = (h + 2 * pad - kernel) / stride + 1;
    int ow = (w + 2 * pad - kernel) / stride + 1;
    return new Pool2d(mode, n, c, h, w, kernel, kernel, stride, stride, pad, pad, pad, pad, 1, 1, oh, ow, false);
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 0 ? (long) n * c * h * w : (long) n * c * outH * outW);
  }

  @Override
  public long flops() {
    return (long) n * c * outH * outW * kernelH * kernelW;
  }
}
