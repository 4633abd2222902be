package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.function.Function;

/**
 * Resize (opsets 10 to 19) and Upsample (opsets 7 and 9) in mode {@code nearest}, as an
 * {@link IndexMap}: every output element copies one input element, chosen per axis by the
 * coordinate transformation (half_pixel, pytorch_half_pixel, align_corners, asymmetric,
 * tf_half_pixel_for_nn, tf_crop_and_resize) and the rounding ({@code nearest_mode}: round_prefer_floor,
 * round_prefer_ceil, floor, ceil), clamped to the input.
 *
 * <p>The opset forms, axes, keep_aspect_ratio_policy and the coordinate transformation (with
 * tf_crop_and_resize's roi, whose outside positions take {@code extrapolation_value}) are
 * {@link ResizeGeometry}'s; Upsample copies with {@code floor}, opset 10's two-input Resize with
 * round_prefer_floor. Modes linear and cubic are {@link ResampleTables}'. Pure.
 */
final class NearestResize {
  private NearestResize() {}

  static IndexMap of(Node n, Shape x, Function<String, Tensor> constant) {
    ResizeGeometry g = ResizeGeometry.of(n, x, constant);
    if (!g.mode().equals("nearest")) {
      throw new ModelException(n.opType() + " attribute 'mode' is '" + g.mode() + "'; this index map is mode"
          + " 'nearest' only (linear and cubic interpolate: ResampleTables)");
    }
    if (n.attributes().getInt("antialias", 0) != 0) {
      throw new ModelException(n.opType() + " attribute 'antialias' is 1; ONNX defines antialiasing for linear and"
          + " cubic only");
    }
    String rounding = n.opType().equals("Upsample") ? "floor"
        : n.inputs().size() == 2 ? "round_prefer_floor" : n.attributes().getString("nearest_mode", "round_prefer_floor");
    int rank = x.rank();
    Shape y = g.output();
    int[][] pick = new int[rank][];
    for (int d = 0; d < rank; d++) {
      pick[d] = axis(n, g, d, rounding);
    }
    int[] strides = new int[rank];
    for (int d = rank - 1, s = 1; d >= 0; s *= (int) x.dim(d), d--) {
      strides[d] = s;
    }
    float fill = n.attributes().getFloat("extrapolation_value", 0f);
    return IndexMaps.build(x, y, fill, c -> {
      int at = 0;
      for (int d = 0; d < rank; d++) {
        if (pick[d][c[d]] < 0) {
          return -1;
        }
        at += pick[d][c[d]] * strides[d];
      }
      return at;
    });
  }

  /** The input index each output index of axis {@code d} copies; -1 where tf_crop_and_resize extrapolates. */
  private static int[] axis(Node n, ResizeGeometry g, int d, String rounding) {
    int in = g.input().dim(d);
    int[] pick = new int[g.output().dim(d)];
    for (int i = 0; i < pick.length; i++) {
      double xo = g.sourceCoordinate(d, i);
      if (Double.isNaN(xo)) {
        pick[i] = -1;
        continue;
      }
      double r = switch (rounding) {
        case "round_prefer_floor" -> xo - Math.floor(xo) == 0.5 ? Math.floor(xo) : Math.round(xo);
        case "round_prefer_ceil" -> xo - Math.floor(xo) == 0.5 ? Math.ceil(xo) : Math.round(xo);
        case "floor" -> Math.floor(xo);
        case "ceil" -> Math.ceil(xo);
        default -> throw new ModelException(n.opType() + " attribute 'nearest_mode' is '" + rounding
            + "', not one ONNX defines");
      };
      pick[i] = (int) Math.max(0, Math.min(in - 1, r));
    }
    return pick;
  }
}
