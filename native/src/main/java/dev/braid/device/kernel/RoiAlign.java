package dev.braid.device.kernel;

import java.util.List;

/**
 * ONNX RoiAlign (opsets 10, 16): for each region of interest {@code r} (rois {@code [rois, 4]}
 * as x1, y1, x2, y2 in input coordinates before {@code spatialScale}; batchIndices
 * {@code [rois]}, integers carried as float32) and channel, an {@code outH x outW} grid of bins,
 * each the average (or maximum) of bilinear samples of X {@code [n, c, h, w]} on a regular grid
 * of {@code samplingRatio} (or, when 0, {@code ceil(roi size / bins)}) points per bin axis, as
 * ONNX's reference computes them: {@code halfPixel} shifts the region by -0.5 pixel (opset 16's
 * default; opset 10 and output_half_pixel do not, and force regions to at least 1x1); samples
 * beyond one pixel outside the input count as 0; maximum mode takes, per sample, the largest of
 * the four weighted corner values. A batch index that is not an integer in {@code [0, n)} fails
 * the launch. Invariants: sizes positive, samplingRatio >= 0. Arguments: X, Rois, BatchIndices, Y.
 */
public record RoiAlign(int n, int c, int h, int w, int rois, int outH, int outW, int samplingRatio,
    float spatialScale, boolean halfPixel, boolean max) implements Kernel {

  public RoiAlign {
    Checks.positive("RoiAlign", "n", n);
    Checks.positive("RoiAlign", "c", c);
    Checks.positive("RoiAlign", "h", h);
    Checks.positive("RoiAlign", "w", w);
    Checks.nonNegative("RoiAlign", "rois", rois);
    Checks.positive("RoiAlign", "outH", outH);
    Checks.positive("RoiAlign", "outW", outW);
    Checks.nonNegative("RoiAlign", "samplingRatio", samplingRatio);
    Checks.finite("RoiAlign", "spatialScale", spatialScale);
  }

  /** Output elements. */
  public long outputElements() {
    return (long) rois * c * outH * outW;
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Rois", "BatchIndices", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(switch (index) {
      case 0 -> (long) n * c * h * w;
      case 1 -> 4L * rois;
      case 2 -> rois;
      default -> outputElements();
    });
  }

  /**
   * Per sample, the bilinear weights (about 10 operations) and four multiply-adds; samples per bin
   * taken as {@code samplingRatio}, or 2 x 2 when it depends on the regions (known only at run time).
   */
  @Override
  public long flops() {
    long samples = samplingRatio > 0 ? (long) samplingRatio * samplingRatio : 4;
    return outputElements() * samples * 18;
  }

  /** X where the samples land (at most four per sample, at most all of X), the regions and indices. */
  @Override
  public long bytesRead() {
    long samples = samplingRatio > 0 ? (long) samplingRatio * samplingRatio : 4;
    return Checks.bytes(Math.min((long) n * c * h * w, outputElements() * samples * 4) + 5L * rois);
  }
}
