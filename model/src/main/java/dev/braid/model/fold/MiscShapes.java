package dev.braid.model.fold;

import static dev.braid.model.fold.ShapeInference.in;
import static dev.braid.model.fold.ShapeInference.rename;
import static dev.braid.model.fold.ShapeInference.requireRank;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.Arrays;

/**
 * Shape inference for the operators {@link MiscDecompositions} rewrites and {@link MiscFolds}
 * evaluates: Shrink, LRN, ReverseSequence, MaxUnpool, Det, DFT, STFT, EyeLike, the window
 * functions and MelWeightMatrix. An input that defines the output's shape (a window's size, DFT's
 * dft_length, STFT's frame_step, MaxUnpool's output_shape...) must be a constant; otherwise the
 * node is refused naming that input. Pure.
 */
final class MiscShapes {
  private MiscShapes() {}

  static ValueInfo infer(Node n, Values v, String out) {
    return switch (n.opType()) {
      case "Shrink" -> rename(in(n, 0, v), out);
      case "LRN" -> {
        requireRank(in(n, 0, v), 2, Integer.MAX_VALUE, "input X");
        yield rename(in(n, 0, v), out);
      }
      case "ReverseSequence" -> rename(in(n, 0, v), out);
      case "EyeLike" -> {
        ValueInfo x = in(n, 0, v);
        requireRank(x, 2, 2, "input");
        yield new ValueInfo(out, MiscFolds.dtypeAttribute(n, "dtype", x.dtype()), x.shape());
      }
      case "HannWindow", "HammingWindow", "BlackmanWindow" -> {
        long size = scalar(n, 0, "size", v, "the window's length is its value");
        if (size < 1 || size > Integer.MAX_VALUE) {
          throw new ModelException("size (input 0) must be >= 1, got " + size);
        }
        yield new ValueInfo(out, MiscFolds.dtypeAttribute(n, "output_datatype", DType.FLOAT32), Shape.of((int) size));
      }
      case "MelWeightMatrix" -> melWeightMatrix(n, v, out);
      case "Det" -> {
        ValueInfo x = in(n, 0, v);
        requireRank(x, 2, Integer.MAX_VALUE, "input X");
        int r = x.shape().rank();
        if (x.shape().dim(r - 1) != x.shape().dim(r - 2)) {
          throw new ModelException("input X " + x.shape() + " must hold square matrices in its last two dimensions");
        }
        yield new ValueInfo(out, x.dtype(), Shape.of(Arrays.copyOf(x.shape().dims(), r - 2)));
      }
      case "MaxUnpool" -> new ValueInfo(out, in(n, 0, v).dtype(), MaxUnpoolGeometry.of(n, v).output());
      case "DFT" -> new ValueInfo(out, in(n, 0, v).dtype(), DftGeometry.ofDft(n, v).output());
      case "STFT" -> new ValueInfo(out, in(n, 0, v).dtype(), DftGeometry.ofStft(n, v).output());
      default -> null;
    };
  }

  private static ValueInfo melWeightMatrix(Node n, Values v, String out) {
    String[] names = {"num_mel_bins", "dft_length", "sample_rate", "lower_edge_hertz", "upper_edge_hertz"};
    for (int i = 0; i < names.length; i++) {
      constant(n, i, names[i].replace('_', ' '), v, "the matrix is computed at load");
    }
    long mel = v.constant(n.input(0)).toLongs()[0];
    long dft = v.constant(n.input(1)).toLongs()[0];
    if (mel < 1 || dft < 1 || (dft / 2 + 1) * mel > (1 << 24)) {
      throw new ModelException("num_mel_bins " + mel + " and dft_length " + dft + " must be >= 1 with at most 2^24"
          + " elements in the [dft_length / 2 + 1, num_mel_bins] matrix");
    }
    if (v.constant(n.input(2)).get(0) <= 0) {
      throw new ModelException("sample_rate must be > 0, got " + v.constant(n.input(2)).get(0));
    }
    DType t = MiscFolds.dtypeAttribute(n, "output_datatype", DType.FLOAT32);
    return new ValueInfo(out, t, Shape.of((int) (dft / 2 + 1), (int) mel));
  }

  /**
   * Input {@code i}'s constant value, or a refusal naming it as {@code role}: "the {role} (input i,
   * 'name') must be a constant: {why}".
   */
  static Tensor constant(Node n, int i, String role, Values v, String why) {
    Tensor t = n.hasInput(i) ? v.constant(n.input(i)) : null;
    if (n.hasInput(i) && t == null) {
      throw new ModelException("the " + role + " (input " + i + ", '" + n.input(i) + "') must be a constant: " + why);
    }
    if (t == null) {
      throw new ModelException("input " + i + " (" + role + ") is required but not given");
    }
    return t;
  }

  /** A constant scalar (or one-element) integer input, refused as {@link #constant} when computed at run time. */
  static long scalar(Node n, int i, String role, Values v, String why) {
    Tensor t = constant(n, i, role, v, why);
    if (t.size() != 1) {
      throw new ModelException("the " + role + " (input " + i + ") must hold one value, got shape " + t.shape());
    }
    return t.toLongs()[0];
  }
}
