package dev.braid.model.fold;

import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.ValueInfo;
import java.util.Arrays;
import java.util.Set;

/**
 * Infers the dtype and static shape of a node's first output from its inputs, with ONNX
 * semantics, for every operator in {@code Operators.SUPPORTED}. Every supported operator has one
 * computed output; optional extra outputs (Dropout's mask, LayerNormalization's statistics...)
 * are never computed and must be unused. Pure: throws {@link ModelException} (without the node's
 * name, which the caller adds) when inputs do not fit the operator.
 */
final class ShapeInference {
  private ShapeInference() {}

  private static final Set<String> SAME_SHAPE =
      Set.of("Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Identity", "Dropout", "Clip");
  private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div", "Pow");

  static ValueInfo infer(Node n, Values v) {
    ValueInfo e = ElementwiseShapes.infer(n, v);
    ValueInfo q = e != null ? e : QuantTypes.infer(n, v);
    return q != null ? q : inferCore(n, v);
  }

  private static ValueInfo inferCore(Node n, Values v) {
    String out = n.output(0);
    String op = n.opType();
    if (SAME_SHAPE.contains(op)) {
      return rename(in(n, 0, v), out);
    }
    if (BINARY.contains(op)) {
      ValueInfo a = in(n, 0, v);
      ValueInfo b = in(n, 1, v);
      if (!op.equals("Pow") && a.dtype() != b.dtype()) {
        throw new ModelException("inputs have different element types, " + a.dtype().onnxName() + " and "
            + b.dtype().onnxName() + "; " + op + " needs equal types");
      }
      return new ValueInfo(out, a.dtype(), Broadcasting.shape(a.shape(), b.shape()));
    }
    return switch (op) {
      case "Gelu" -> gelu(n, v, out);
      case "Size" -> new ValueInfo(out, DType.INT64, Shape.scalar()); // folded: shapes are static
      case "Gemm" -> gemm(n, v, out);
      case "MatMul" -> matMul(n, v, out);
      case "Conv" -> conv(n, v, out);
      case "MaxPool", "AveragePool", "LpPool" -> pool(n, v, out);
      case "GlobalAveragePool", "GlobalMaxPool" -> globalPool(n, v, out);
      case "Softmax", "LogSoftmax", "Hardmax" -> softmax(n, v, out);
      case "LayerNormalization" -> layerNorm(n, v, out);
      case "BatchNormalization" -> batchNorm(n, v, out);
      case "RNN", "GRU", "LSTM" -> RecurrentDecompositions.outputs(n, v).get(0);
      case "Einsum" -> EinsumDecomposition.infer(n, v, out);
      case "Shrink", "LRN", "ReverseSequence", "EyeLike", "HannWindow", "HammingWindow", "BlackmanWindow",
          "MelWeightMatrix", "Det", "MaxUnpool", "DFT", "STFT" -> MiscShapes.infer(n, v, out);
      default -> LayoutShapes.infer(n, v, out);
    };
  }

  /** The info of input {@code i}, which must be given. */
  static ValueInfo in(Node n, int i, Values v) {
    if (!n.hasInput(i)) {
      throw new ModelException("input " + i + " is required but not given");
    }
    return v.info(n.input(i));
  }

  static ValueInfo rename(ValueInfo i, String name) {
    return new ValueInfo(name, i.dtype(), i.shape());
  }

  static void requireRank(ValueInfo i, int min, int max, String role) {
    if (i.shape().rank() < min || i.shape().rank() > max) {
      String want = min == max ? "rank " + min : max == Integer.MAX_VALUE ? "rank >= " + min : "rank " + min + ".." + max;
      throw new ModelException(role + " '" + i.name() + "' must have " + want + ", got shape " + i.shape());
    }
  }

  private static ValueInfo gelu(Node n, Values v, String out) {
    String approx = n.attributes().getString("approximate", "none");
    if (!approx.equals("none") && !approx.equals("tanh")) {
      throw new ModelException("attribute 'approximate' must be 'none' or 'tanh', got '" + approx + "'");
    }
    return rename(in(n, 0, v), out);
  }

  private static ValueInfo gemm(Node n, Values v, String out) {
    ValueInfo a = in(n, 0, v);
    ValueInfo b = in(n, 1, v);
    requireRank(a, 2, 2, "input A");
    requireRank(b, 2, 2, "input B");
    boolean ta = n.attributes().getInt("transA", 0) != 0;
    boolean tb = n.attributes().getInt("transB", 0) != 0;
    int m = a.shape().dim(ta ? 1 : 0);
    int k = a.shape().dim(ta ? 0 : 1);
    int kb = b.shape().dim(tb ? 1 : 0);
    int nn = b.shape().dim(tb ? 0 : 1);
    if (k != kb) {
      throw new ModelException("inner dimensions differ: A " + a.shape() + (ta ? " (transposed)" : "") + " gives K=" + k
          + ", B " + b.shape() + (tb ? " (transposed)" : "") + " gives K=" + kb);
    }
    Shape result = Shape.of(m, nn);
    if (n.hasInput(2)) {
      Shape c = v.info(n.input(2)).shape();
      if (!Broadcasting.shape(c, result).equals(result)) {
        throw new ModelException("input C " + c + " does not broadcast to the result " + result);
      }
    }
    return new ValueInfo(out, a.dtype(), result);
  }

  private static ValueInfo matMul(Node n, Values v, String out) {
    ValueInfo a = in(n, 0, v);
    ValueInfo b = in(n, 1, v);
    requireRank(a, 1, Integer.MAX_VALUE, "input A");
    requireRank(b, 1, Integer.MAX_VALUE, "input B");
    int[] ad = a.shape().rank() == 1 ? new int[] {1, a.shape().dim(0)} : a.shape().dims();
    int[] bd = b.shape().rank() == 1 ? new int[] {b.shape().dim(0), 1} : b.shape().dims();
    int k = ad[ad.length - 1];
    int kb = bd[bd.length - 2];
    if (k != kb) {
      throw new ModelException("inner dimensions differ: A " + a.shape() + " has K=" + k + ", B " + b.shape()
          + " has K=" + kb);
    }
    int[] batch = Broadcasting.dims(
        Arrays.copyOf(ad, ad.length - 2), Arrays.copyOf(bd, bd.length - 2));
    int[] dims = Arrays.copyOf(batch, batch.length + 2);
    dims[batch.length] = ad[ad.length - 2];
    dims[batch.length + 1] = bd[bd.length - 1];
    if (a.shape().rank() == 1) {
      dims = remove(dims, dims.length - 2);
    }
    if (b.shape().rank() == 1) {
      dims = remove(dims, dims.length - 1);
    }
    return new ValueInfo(out, a.dtype(), Shape.of(dims));
  }

  private static int[] remove(int[] d, int i) {
    int[] r = new int[d.length - 1];
    System.arraycopy(d, 0, r, 0, i);
    System.arraycopy(d, i + 1, r, i, d.length - i - 1);
    return r;
  }

  private static ValueInfo conv(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    ValueInfo w = in(n, 1, v);
    requireRank(x, 3, Integer.MAX_VALUE, "input X");
    requireRank(w, x.shape().rank(), x.shape().rank(), "weight W");
    long group = n.attributes().getInt("group", 1);
    int c = x.shape().dim(1);
    int m = w.shape().dim(0);
    if (group < 1 || c != w.shape().dim(1) * group || m % group != 0) {
      throw new ModelException("channels do not match: X " + x.shape() + " has " + c + " channels, W " + w.shape()
          + " expects " + w.shape().dim(1) + " per group x group " + group + " (and " + m
          + " output channels must divide by the group)");
    }
    long[] kernel = Arrays.copyOfRange(w.shape().longDims(), 2, w.shape().rank());
    long[] given = n.attributes().getInts("kernel_shape", null);
    if (given != null && !Arrays.equals(given, kernel)) {
      throw new ModelException("attribute 'kernel_shape' " + Arrays.toString(given) + " differs from the weight's "
          + Arrays.toString(kernel));
    }
    if (n.hasInput(2)) {
      Shape b = v.info(n.input(2)).shape();
      if (!b.equals(Shape.of(m))) {
        throw new ModelException("bias B must have shape [" + m + "], got " + b);
      }
    }
    ConvGeometry g = geometry(n.attributes(), x.shape(), kernel, false);
    return new ValueInfo(out, x.dtype(), spatial(x.shape(), m, g.out()));
  }

  /** The geometry of a Conv or pool node on an input of shape {@code x}. */
  static ConvGeometry geometry(Attributes a, Shape x, long[] kernel, boolean ceilMode) {
    int s = x.rank() - 2;
    int[] in = Arrays.copyOfRange(x.dims(), 2, x.rank());
    return ConvGeometry.resolve(in, kernel, a.getInts("strides", ones(s)), a.getInts("dilations", ones(s)),
        a.getInts("pads", new long[2 * s]), a.getString("auto_pad", "NOTSET"), ceilMode);
  }

  private static long[] ones(int n) {
    long[] o = new long[n];
    Arrays.fill(o, 1);
    return o;
  }

  private static Shape spatial(Shape x, int channels, int[] out) {
    int[] d = new int[2 + out.length];
    d[0] = x.dim(0);
    d[1] = channels;
    System.arraycopy(out, 0, d, 2, out.length);
    return Shape.of(d);
  }

  private static ValueInfo pool(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    requireRank(x, 3, Integer.MAX_VALUE, "input X");
    long[] kernel = n.attributes().getInts("kernel_shape", null);
    if (kernel == null) {
      throw new ModelException("attribute 'kernel_shape' is required");
    }
    boolean ceil = n.attributes().getInt("ceil_mode", 0) != 0;
    ConvGeometry g = geometry(n.attributes(), x.shape(), kernel, ceil);
    return new ValueInfo(out, x.dtype(), spatial(x.shape(), x.shape().dim(1), g.out()));
  }

  private static ValueInfo globalPool(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    requireRank(x, 3, Integer.MAX_VALUE, "input X");
    int[] ones = new int[x.shape().rank() - 2];
    Arrays.fill(ones, 1);
    return new ValueInfo(out, x.dtype(), spatial(x.shape(), x.shape().dim(1), ones));
  }

  private static ValueInfo softmax(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    long axis = n.attributes().getInt("axis", v.opset() < 13 ? 1 : -1);
    Axes.normalize(axis, x.shape().rank(), "attribute 'axis'");
    return rename(x, out);
  }

  private static ValueInfo layerNorm(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    int axis = Axes.normalize(n.attributes().getInt("axis", -1), x.shape().rank(), "attribute 'axis'");
    Shape normalized = Shape.of(Arrays.copyOfRange(x.shape().dims(), axis, x.shape().rank()));
    for (int i = 1; i <= 2; i++) {
      if (n.hasInput(i)) {
        Shape p = v.info(n.input(i)).shape();
        if (!Broadcasting.shape(p, normalized).equals(normalized)) {
          throw new ModelException((i == 1 ? "scale " : "bias ") + p + " does not broadcast to the normalized shape "
              + normalized);
        }
      }
    }
    return rename(x, out);
  }

  private static ValueInfo batchNorm(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    requireRank(x, 2, Integer.MAX_VALUE, "input X");
    Shape channels = Shape.of(x.shape().dim(1));
    String[] roles = {"scale", "B", "input_mean", "input_var"};
    for (int i = 1; i <= 4; i++) {
      Shape p = in(n, i, v).shape();
      if (!p.equals(channels)) {
        throw new ModelException(roles[i - 1] + " must have shape " + channels + " (one per channel of X "
            + x.shape() + "), got " + p);
      }
    }
    return rename(x, out);
  }

  /** The DType for Cast's {@code to}, or an error naming the code. */
  static DType castTarget(Node n) {
    long to = n.attributes().getInt("to");
    DType t = DType.fromOnnx((int) to);
    if (t == null) {
      throw new ModelException("attribute 'to' = " + to + " is an element type Braid does not support (supported: "
          + Arrays.toString(DType.values()) + ")");
    }
    return t;
  }
}
