package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.Arrays;
import java.util.function.Function;

/**
 * What a Resize (opsets 10 to 19) or Upsample (7, 9) node asks for, read once from its attributes
 * and constant inputs, in every opset form: per axis the input and output sizes, the scale the
 * coordinate transformation divides by and, for {@code tf_crop_and_resize}, the region of interest.
 *
 * <p>Opset forms: Upsample has scales as an attribute (7) or input 1 (9) and the asymmetric
 * transform; a two-input Resize is opset 10's (X, scales; asymmetric); from opset 11 the inputs
 * are X, roi, scales, sizes, with {@code coordinate_transformation_mode} (default half_pixel),
 * and from opset 18 {@code axes} (scales, sizes and roi then cover the listed axes only; the
 * others keep scale 1) and {@code keep_aspect_ratio_policy} (with sizes: not_larger and
 * not_smaller take the smallest or largest of the listed axes' ratios for all of them and round
 * each size half up). Given scales, an output size is {@code floor(in * scale)}; given sizes, the
 * scale is {@code out / in} in double. Scales, sizes and roi must be constants after folding: the
 * output shape depends on them. Pure.
 *
 * @param mode nearest, linear or cubic
 * @param transform the coordinate_transformation_mode
 * @param scale per axis, what the transformation divides by
 * @param roiStart per axis, tf_crop_and_resize's region start (normalized); null otherwise
 * @param roiEnd per axis, the region end; null unless roiStart is given
 */
public record ResizeGeometry(String mode, String transform, Shape input, Shape output, double[] scale,
    double[] roiStart, double[] roiEnd) {

  /** The geometry of {@code n} over input shape {@code x}; {@code constant} gives constant inputs (null otherwise). */
  public static ResizeGeometry of(Node n, Shape x, Function<String, Tensor> constant) {
    boolean upsample = n.opType().equals("Upsample");
    String mode = n.attributes().getString("mode", "nearest");
    if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("cubic")) {
      throw new ModelException(n.opType() + " attribute 'mode' is '" + mode + "'; ONNX defines nearest, linear and"
          + " cubic");
    }
    if (upsample && mode.equals("cubic")) {
      throw new ModelException("Upsample attribute 'mode' is 'cubic'; Upsample defines only nearest and linear");
    }
    int rank = x.rank();
    String transform = "asymmetric";
    double[] givenScales = null;
    long[] givenSizes = null;
    double[] roi = null;
    int[] axes = null;
    if (upsample) {
      givenScales = n.attributes().has("scales") ? doubles(n.attributes().getFloats("scales", null))
          : doubles(floats(n, 1, "scales", constant));
    } else if (n.inputs().size() == 2) {
      givenScales = doubles(floats(n, 1, "scales", constant));
    } else {
      transform = n.attributes().getString("coordinate_transformation_mode", "half_pixel");
      if (n.attributes().has("axes")) {
        axes = Axes.normalizeAll(n.attributes().getInts("axes", null), rank, "attribute 'axes'");
      }
      if (n.hasInput(2)) {
        float[] s = floats(n, 2, "scales", constant);
        givenScales = s.length == 0 ? null : doubles(s);
      }
      if (n.hasInput(3)) {
        long[] s = IndexMaps.longs(n, 3, "sizes", constant);
        givenSizes = s.length == 0 ? null : s;
      }
      if ((givenScales == null) == (givenSizes == null)) {
        throw new ModelException(n.opType() + ": exactly one of scales and sizes must be given, got "
            + (givenScales == null ? "neither" : "both"));
      }
      if (transform.equals("tf_crop_and_resize")) {
        if (!n.hasInput(1)) {
          throw new ModelException(n.opType() + ": coordinate_transformation_mode 'tf_crop_and_resize' needs roi"
              + " (input 1), which is not given");
        }
        roi = doubles(floats(n, 1, "roi", constant));
      }
    }
    int listed = axes == null ? rank : axes.length;
    if (axes == null) {
      axes = new int[rank];
      for (int d = 0; d < rank; d++) {
        axes[d] = d;
      }
    }
    int given = givenSizes != null ? givenSizes.length : givenScales.length;
    if (given != listed) {
      throw new ModelException(n.opType() + ": " + (givenSizes != null ? "sizes" : "scales") + " has " + given
          + " entries, expected " + listed + " (one per " + (listed == rank ? "input axis" : "entry of 'axes'") + ")");
    }
    if (roi != null && roi.length != 2 * listed) {
      throw new ModelException(n.opType() + ": roi has " + roi.length + " entries, expected " + 2 * listed);
    }
    long[] out = x.longDims();
    double[] scale = new double[rank];
    Arrays.fill(scale, 1.0);
    double[] roiStart = roi == null ? null : new double[rank];
    double[] roiEnd = roi == null ? null : new double[rank];
    if (roi != null) {
      Arrays.fill(roiEnd, 1.0);
      for (int i = 0; i < listed; i++) {
        roiStart[axes[i]] = roi[i];
        roiEnd[axes[i]] = roi[listed + i];
      }
    }
    String policy = n.attributes().getString("keep_aspect_ratio_policy", "stretch");
    if (!policy.equals("stretch") && !policy.equals("not_larger") && !policy.equals("not_smaller")) {
      throw new ModelException(n.opType() + " attribute 'keep_aspect_ratio_policy' is '" + policy
          + "'; ONNX defines stretch, not_larger and not_smaller");
    }
    if (givenSizes != null) {
      for (int i = 0; i < listed; i++) {
        if (givenSizes[i] < 0) {
          throw new ModelException(n.opType() + ": sizes[" + i + "] must be >= 0, got " + givenSizes[i]);
        }
        if (x.dim(axes[i]) == 0) {
          throw new ModelException(n.opType() + ": axis " + axes[i] + " of the input is empty; no scale maps it");
        }
        out[axes[i]] = givenSizes[i];
        scale[axes[i]] = (double) givenSizes[i] / x.dim(axes[i]);
      }
      if (!policy.equals("stretch")) {
        double s = policy.equals("not_larger") ? Double.POSITIVE_INFINITY : 0;
        for (int a : axes) {
          s = policy.equals("not_larger") ? Math.min(s, scale[a]) : Math.max(s, scale[a]);
        }
        for (int a : axes) {
          scale[a] = s;
          out[a] = (long) (s * x.dim(a) + 0.5);
        }
      }
    } else {
      for (int i = 0; i < listed; i++) {
        if (!(givenScales[i] > 0)) {
          throw new ModelException(n.opType() + ": scales[" + i + "] must be > 0, got " + givenScales[i]);
        }
        scale[axes[i]] = givenScales[i];
        out[axes[i]] = (long) Math.floor(x.dim(axes[i]) * givenScales[i]);
      }
    }
    for (int d = 0; d < rank; d++) {
      if (out[d] < 0 || out[d] > Integer.MAX_VALUE) {
        throw new ModelException(n.opType() + ": output dimension " + d + " of " + out[d] + " is not valid");
      }
    }
    return new ResizeGeometry(mode, transform, x, Shape.of(out), scale, roiStart, roiEnd);
  }

  /**
   * The input coordinate of output index {@code i} on axis {@code d}, before rounding or
   * interpolation (ONNX's {@code x_original}); NaN for a tf_crop_and_resize position outside the
   * input, which takes the extrapolation value.
   */
  public double sourceCoordinate(int d, int i) {
    int in = input.dim(d);
    double s = scale[d];
    // The ONNX reference divides by the real-valued output length (in * scale), not the integer one.
    double outLength = s * in;
    return switch (transform) {
      case "half_pixel" -> (i + 0.5) / s - 0.5;
      case "pytorch_half_pixel" -> outLength == 1 ? -0.5 : (i + 0.5) / s - 0.5;
      case "align_corners" -> outLength == 1 ? 0 : i * (double) (in - 1) / (outLength - 1);
      case "asymmetric" -> i / s;
      case "tf_half_pixel_for_nn" -> (i + 0.5) / s;
      case "tf_crop_and_resize" -> {
        double span = (roiEnd[d] - roiStart[d]) * (in - 1);
        double c = (outLength == 1 ? span / 2 : i * span / (outLength - 1)) + roiStart[d] * (in - 1);
        yield c < 0 || c > in - 1 ? Double.NaN : c;
      }
      default -> throw new ModelException("Resize attribute 'coordinate_transformation_mode' is '" + transform
          + "', not one ONNX defines");
    };
  }

  private static double[] doubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static float[] floats(Node n, int input, String role, Function<String, Tensor> constant) {
    return IndexMaps.constantInput(n, input, role, constant).toFloats();
  }
}
