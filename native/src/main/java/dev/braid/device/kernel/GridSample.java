package dev.braid.device.kernel;

import java.util.List;

/**
 * ONNX GridSample (opset 16, 2-D): X {@code [n, c, h, w]} sampled at the normalized positions of
 * grid {@code [n, outH, outW, 2]} (x then y, in [-1, 1] across the input) into Y
 * {@code [n, c, outH, outW]}, with PyTorch's {@code grid_sample} semantics as ONNX's reference
 * spells them: a position is denormalized ({@code ((g + 1) * size - 1) / 2}, or
 * {@code (g + 1) / 2 * (size - 1)} with alignCorners), moved inside by {@link Padding} when it lies
 * beyond the border ({@code [-0.5, size - 0.5]}, or {@code [0, size - 1]} with alignCorners), then
 * read by {@link Mode}; a tap outside the input reads 0 (ZEROS), the nearest edge (BORDER) or its
 * reflection (REFLECTION). Invariants: sizes positive. Arguments: X, Grid, Y.
 */
public record GridSample(int n, int c, int h, int w, int outH, int outW, Mode mode, Padding padding,
    boolean alignCorners) implements Kernel {

  /** How a position is read; the ordinals are the CUDA kernel's. */
  public enum Mode {
    /** The 2x2 taps around the position, weighted by distance. */
    BILINEAR,
    /** The tap at the position rounded half to even. */
    NEAREST,
    /** The 4x4 taps around the position, Keys' cubic with A = -0.75. */
    BICUBIC
  }

  /** What a position or tap beyond the input reads; the ordinals are the CUDA kernel's. */
  public enum Padding {
    ZEROS,
    BORDER,
    REFLECTION
  }

  public GridSample {
    Checks.positive("GridSample", "n", n);
    Checks.positive("GridSample", "c", c);
    Checks.positive("GridSample", "h", h);
    Checks.positive("GridSample", "w", w);
    Checks.positive("GridSample", "outH", outH);
    Checks.positive("GridSample", "outW", outW);
    if (mode == null || padding == null) {
      throw new IllegalArgumentException("GridSample: mode and padding must be given, got " + mode + ", " + padding);
    }
  }

  /** Output elements. */
  public long outputElements() {
    return (long) n * c * outH * outW;
  }

  /** Taps each output element reads. */
  public int taps() {
    return switch (mode) {
      case NEAREST -> 1;
      case BILINEAR -> 4;
      case BICUBIC -> 16;
    };
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Grid", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(switch (index) {
      case 0 -> (long) n * c * h * w;
      case 1 -> (long) n * outH * outW * 2;
      default -> outputElements();
    });
  }

  /**
   * Per output element: the denormalization and padding of two coordinates (about 10 operations),
   * the weights (2 per tap axis for bilinear, about 10 per cubic coefficient) and a multiply-add per
   * tap. An estimate: the branches of the padding modes vary.
   */
  @Override
  public long flops() {
    long perOutput = switch (mode) {
      case NEAREST -> 10;
      case BILINEAR -> 10 + 4 + 2 * 4;
      case BICUBIC -> 10 + 80 + 2 * 16 + 2 * 4;
    };
    return outputElements() * perOutput;
  }

  /** X where the taps land (at most every tap of every output, at most all of X), and the grid. */
  @Override
  public long bytesRead() {
    return Checks.bytes(Math.min((long) n * c * h * w, outputElements() * taps()) + (long) n * outH * outW * 2);
  }
}
