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
 * tf_half_pixel_for_nn) and the rounding ({@code nearest_mode}: round_prefer_floor,
 * round_prefer_ceil, floor, ceil), clamped to the input.
 *
 * <p>The opset form is read from the node: Upsample copies with {@code floor} on the asymmetric
 * transform; a two-input Resize is opset 10's (asymmetric, round_prefer_floor); from opset 11 the
 * inputs are X, roi, scales, sizes. Scales or sizes must be constants after folding. What this
 * class does not compute is refused with the attribute and its value: modes linear and cubic,
 * tf_crop_and_resize (needs roi), antialias, axes, keep_aspect_ratio_policy other than stretch.
 * Pure.
 */
final class NearestResize {
  private NearestResize() {}

  static IndexMap of(Node n, Shape x, Function<String, Tensor> constant) {
    boolean upsample = n.opType().equals("Upsample");
    String mode = n.attributes().getString("mode", "nearest");
    if (!mode.equals("nearest")) {
      throw new ModelException(n.opType() + " attribute 'mode' is '" + mode + "'; Braid implements only 'nearest'");
    }
    String transform = "asymmetric";
    String rounding = upsample ? "floor" : "round_prefer_floor";
    float[] scales;
    long[] sizes = null;
    if (upsample) {
      if (n.attributes().has("scales")) {
        scales = n.attributes().getFloats("scales", null);
      } else {
        scales = floats(n, 1, "scales", constant);
      }
    } else if (n.inputs().size() == 2) {
      scales = floats(n, 1, "scales", constant);
    } else {
      transform = n.attributes().getString("coordinate_transformation_mode", "half_pixel");
      rounding = n.attributes().getString("nearest_mode", "round_prefer_floor");
      refuseUnsupported(n, transform);
      scales = n.hasInput(2) ? floats(n, 2, "scales", constant) : null;
      if (scales != null && scales.length == 0) {
        scales = null;
      }
      if (n.hasInput(3)) {
        sizes = IndexMaps.longs(n, 3, "sizes", constant);
        if (sizes.length == 0) {
          sizes = null;
        }
      }
      if ((scales == null) == (sizes == null)) {
        throw new ModelException(n.opType() + ": exactly one of scales and sizes must be given, got "
            + (scales == null ? "neither" : "both"));
      }
    }
    int rank = x.rank();
    int given = sizes != null ? sizes.length : scales.length;
    if (given != rank) {
      throw new ModelException(n.opType() + ": " + (sizes != null ? "sizes" : "scales") + " has " + given
          + " entries, expected one per input axis (" + rank + ")");
    }
    long[] out = new long[rank];
    double[] scale = new double[rank];
    for (int d = 0; d < rank; d++) {
      if (sizes != null) {
        out[d] = sizes[d];
        scale[d] = (float) ((float) sizes[d] / (float) x.dim(d));
      } else {
        if (!(scales[d] > 0)) {
          throw new ModelException(n.opType() + ": scales[" + d + "] must be > 0, got " + scales[d]);
        }
        scale[d] = scales[d];
        out[d] = (long) Math.floor(x.dim(d) * (double) scales[d]);
      }
      if (out[d] < 0 || out[d] > Integer.MAX_VALUE) {
        throw new ModelException(n.opType() + ": output dimension " + d + " of " + out[d] + " is not valid");
      }
    }
    Shape y = Shape.of(out);
    int[][] pick = new int[rank][];
    for (int d = 0; d < rank; d++) {
      pick[d] = axis(n, (int) x.dim(d), (int) out[d], scale[d], transform, rounding);
    }
    int[] strides = new int[rank];
    for (int d = rank - 1, s = 1; d >= 0; s *= (int) x.dim(d), d--) {
      strides[d] = s;
    }
    return IndexMaps.build(x, y, 0f, c -> {
      int at = 0;
      for (int d = 0; d < rank; d++) {
        at += pick[d][c[d]] * strides[d];
      }
      return at;
    });
  }

  private static void refuseUnsupported(Node n, String transform) {
    if (n.attributes().getInt("antialias", 0) != 0) {
      throw new ModelException(n.opType() + " attribute 'antialias' is 1; Braid does not implement antialiasing");
    }
    if (n.attributes().has("axes")) {
      throw new ModelException(n.opType() + " attribute 'axes' is given; Braid implements Resize over all axes only");
    }
    String policy = n.attributes().getString("keep_aspect_ratio_policy", "stretch");
    if (!policy.equals("stretch")) {
      throw new ModelException(n.opType() + " attribute 'keep_aspect_ratio_policy' is '" + policy
          + "'; Braid implements only 'stretch'");
    }
    if (transform.equals("tf_crop_and_resize")) {
      throw new ModelException(n.opType() + " attribute 'coordinate_transformation_mode' is 'tf_crop_and_resize';"
          + " Braid does not implement it");
    }
  }

  /** The input index each output index of one axis copies. */
  private static int[] axis(Node n, int in, int out, double scale, String transform, String rounding) {
    int[] pick = new int[out];
    for (int i = 0; i < out; i++) {
      double xo = switch (transform) {
        case "half_pixel" -> (i + 0.5) / scale - 0.5;
        case "pytorch_half_pixel" -> out > 1 ? (i + 0.5) / scale - 0.5 : 0;
        case "align_corners" -> out == 1 ? 0 : i * (double) (in - 1) / (out - 1);
        case "asymmetric" -> i / scale;
        case "tf_half_pixel_for_nn" -> (i + 0.5) / scale;
        default -> throw new ModelException(n.opType() + " attribute 'coordinate_transformation_mode' is '"
            + transform + "', not one ONNX defines");
      };
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

  private static float[] floats(Node n, int input, String role, Function<String, Tensor> constant) {
    if (!n.hasInput(input)) {
      throw new ModelException(role + " (input " + input + ") is required but not given");
    }
    Tensor t = constant.apply(n.input(input));
    if (t == null) {
      throw new ModelException(role + " (input " + input + ", '" + n.input(input) + "') must be a constant:"
          + " the output shape depends on it and Braid resolves shapes when a model loads");
    }
    return t.toFloats();
  }
}
