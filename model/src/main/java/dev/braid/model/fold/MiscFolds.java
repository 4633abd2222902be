package dev.braid.model.fold;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.List;

/**
 * Host evaluation of the operators whose output is a constant once their shape-defining inputs
 * are: EyeLike (its input's shape only), the window functions HannWindow, HammingWindow and
 * BlackmanWindow (a constant {@code size}) and MelWeightMatrix (all five inputs constant). Each
 * follows the ONNX reference ({@code onnx/reference/ops}); values are computed in double and
 * converted once to the output type (floating: to float32, Braid's storage; integer: truncated
 * toward zero, as numpy's {@code astype}). A run-time size is refused by {@link MiscShapes},
 * since the output's shape is its value.
 */
final class MiscFolds {
  private MiscFolds() {}

  /** Evaluates {@code n} (inputs constant where its shape needs them) into its output {@code out}. */
  static Tensor evaluate(Node n, List<Tensor> inputs, ValueInfo out) {
    return switch (n.opType()) {
      case "EyeLike" -> eyeLike(n, out);
      case "HannWindow", "HammingWindow", "BlackmanWindow" -> window(n, out);
      case "MelWeightMatrix" -> melWeightMatrix(inputs, out);
      default -> throw new IllegalArgumentException("no host evaluation for " + n.opType());
    };
  }

  /** Ones where {@code column - row == k}, zeros elsewhere, in the shape of the input. */
  static Tensor eyeLike(Node n, ValueInfo out) {
    long k = n.attributes().getInt("k", 0);
    int rows = out.shape().dim(0), cols = out.shape().dim(1);
    double[] v = new double[rows * cols];
    for (int i = 0; i < rows; i++) {
      long j = i + k;
      if (j >= 0 && j < cols) {
        v[i * cols + (int) j] = 1;
      }
    }
    return typed(v, out);
  }

  /**
   * The window of length {@code size} with {@code N = size} (periodic, the default) or {@code size
   * - 1} (symmetric): Hann {@code 0.5 - 0.5 cos(2 pi n / N)}, Hamming {@code 25/46 - 21/46 cos(2 pi
   * n / N)}, Blackman {@code 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)}.
   */
  static Tensor window(Node n, ValueInfo out) {
    int size = out.shape().dim(0);
    boolean periodic = n.attributes().getInt("periodic", 1) != 0;
    double big = periodic ? size : size - 1;
    double[] v = new double[size];
    for (int i = 0; i < size; i++) {
      double a = 2 * Math.PI * i / big;
      v[i] = switch (n.opType()) {
        case "HannWindow" -> 0.5 - 0.5 * Math.cos(a);
        case "HammingWindow" -> 25.0 / 46.0 - (1 - 25.0 / 46.0) * Math.cos(a);
        default -> 0.42 - 0.5 * Math.cos(a) + 0.08 * Math.cos(2 * a);
      };
    }
    return typed(v, out);
  }

  /**
   * The [dft_length / 2 + 1, num_mel_bins] matrix of triangular filters, as the ONNX reference
   * computes it: the mel-scale edges in float32 (its inputs' type), the bin positions in double,
   * floored to integers with {@code floor((dft_length + 1) * hz / sample_rate)}.
   */
  static Tensor melWeightMatrix(List<Tensor> in, ValueInfo out) {
    int mel = (int) in.get(0).toLongs()[0];
    long dft = in.get(1).toLongs()[0];
    double rate = in.get(2).get(0);
    float lowMel = (float) (2595f * (float) Math.log10((float) (1f + (float) (in.get(3).toFloats()[0] / 700f))));
    float highMel = (float) (2595f * (float) Math.log10((float) (1f + (float) (in.get(4).toFloats()[0] / 700f))));
    float step = (highMel - lowMel) / (mel + 2);
    int bins = out.shape().dim(0);
    long[] edge = new long[mel + 2];
    for (int i = 0; i < edge.length; i++) {
      double m = i * (double) step + lowMel;
      double hz = 700 * (Math.pow(10, m / 2595) - 1);
      edge[i] = (long) Math.floor((dft + 1) * hz / rate);
    }
    double[] v = new double[bins * mel];
    for (int i = 0; i < mel; i++) {
      long lo = edge[i], center = edge[i + 1], hi = edge[i + 2];
      if (lo < 0 || hi >= bins || center < lo || hi < center) {
        throw new ModelException("the filter edges of mel bin " + i + " are bins " + lo + ", " + center + ", " + hi
            + "; expected 0 <= left <= center <= right < " + bins + " (check lower_edge_hertz, upper_edge_hertz and"
            + " sample_rate)");
      }
      if (center == lo) {
        v[(int) center * mel + i] = 1;
      } else {
        for (long j = lo; j <= center; j++) {
          v[(int) j * mel + i] = (double) (j - lo) / (center - lo);
        }
      }
      for (long j = center; j < hi; j++) {
        v[(int) j * mel + i] = (double) (hi - j) / (hi - center);
      }
    }
    return typed(v, out);
  }

  /** {@code v} as a tensor of {@code out}'s type and shape. */
  private static Tensor typed(double[] v, ValueInfo out) {
    DType t = out.dtype();
    if (t.isFloating()) {
      float[] f = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        f[i] = (float) v[i];
      }
      return Tensor.ofFloats(t, out.shape(), f);
    }
    long[] l = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      l[i] = t == DType.BOOL ? (v[i] != 0 ? 1 : 0) : (long) v[i];
    }
    return Tensor.ofLongs(t, out.shape(), l);
  }

  /** An output type attribute ({@code dtype}, {@code output_datatype}) as a DType, or the default. */
  static DType dtypeAttribute(Node n, String name, DType fallback) {
    if (!n.attributes().has(name)) {
      return fallback;
    }
    long code = n.attributes().getInt(name);
    DType t = DType.fromOnnx((int) code);
    if (t == null) {
      throw new ModelException("attribute '" + name + "' = " + code + " is an element type Braid does not support");
    }
    return t;
  }
}
