package dev.braid.model.fold;

import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A small reference evaluator, on the host, for the operators constant folding needs: the
 * constant producers, shape arithmetic, the data-movement operators and simple elementwise math.
 * Floating results are computed in float32 (Braid's compute type); integer results in 64-bit
 * arithmetic, narrowed only by Cast. Operators outside {@link #FOLDABLE} (Conv, MatMul...) are
 * left as nodes even when all their inputs are constant.
 */
final class HostEvaluator {
  private HostEvaluator() {}

  static final Set<String> FOLDABLE = Set.of(
      "Constant", "ConstantOfShape", "Range", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape",
      "Flatten", "Cast", "Add", "Sub", "Mul", "Div", "Pow", "Identity", "Dropout", "Transpose", "Sqrt", "Relu",
      "Slice", "Expand", "Tile", "Pad", "DepthToSpace", "SpaceToDepth", "Trilu", "Size", "ReduceSum", "ReduceProd",
      "ReduceMax", "ReduceMin", "ArgMax", "ArgMin", "Resize", "Upsample",
      "Neg", "Reciprocal", "Exp", "Log", "Abs", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin",
      "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Min", "Max", "Mean", "Sum", "Mod", "Equal",
      "Less", "Greater", "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor", "Not", "Where", "IsNaN", "IsInf",
      "BitShift", "CastLike", "HardSigmoid", "HardSwish", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu",
      "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Clip",
      "EyeLike", "HannWindow", "HammingWindow", "BlackmanWindow", "MelWeightMatrix");

  /**
   * Evaluates {@code n} on constant inputs ({@code inputs.get(i)} is null for an omitted optional
   * input) into its first output, whose dtype and shape inference already gave as {@code out}.
   */
  static Tensor evaluate(Node n, List<Tensor> inputs, ValueInfo out, Values v) {
    Tensor x = inputs.isEmpty() ? null : inputs.get(0);
    return switch (n.opType()) {
      case "Constant", "ConstantOfShape", "Range" -> create(n, v);
      case "Shape" -> {
        Shape s = v.info(n.input(0)).shape();
        int[] range = LayoutShapes.shapeRange(n, s.rank());
        yield Tensor.ofLongs(out.shape(), Arrays.copyOfRange(s.longDims(), range[0], range[0] + range[1]));
      }
      case "Size" -> Tensor.ofLongs(Shape.scalar(), new long[] {v.info(n.input(0)).shape().size()});
      case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout" -> x.reshape(out.shape());
      case "Slice", "Expand", "Tile", "Pad", "DepthToSpace", "SpaceToDepth", "Trilu" -> IndexMaps.of(n, 0, v).apply(x);
      case "Resize", "Upsample" -> ResampleTables.interpolates(n)
          ? ResampleTables.of(n, x.shape(), v::constant).apply(x) : IndexMaps.of(n, 0, v).apply(x);
      case "ReduceSum", "ReduceProd", "ReduceMax", "ReduceMin", "ArgMax", "ArgMin" -> HostReductions.evaluate(n, x, out, v);
      case "Gather" -> gather(n, x, inputs.get(1), out);
      case "Concat" -> concat(n, inputs, out);
      case "Transpose" -> transpose(n, x, out);
      case "Cast", "CastLike" -> cast(x, out.dtype());
      case "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Equal", "Less", "Greater", "GreaterOrEqual", "LessOrEqual",
          "And", "Or", "Xor", "BitShift", "PRelu" -> Elementwise.binary(n, n.opType(), x, inputs.get(1), out);
      case "Min", "Max", "Mean", "Sum" -> Elementwise.variadic(n, inputs, out);
      case "Where" -> Elementwise.where(x, inputs.get(1), inputs.get(2), out);
      case "Clip" -> clip(n, inputs, out);
      case "EyeLike", "HannWindow", "HammingWindow", "BlackmanWindow", "MelWeightMatrix" ->
          MiscFolds.evaluate(n, inputs, out);
      case "Sqrt", "Relu", "Neg", "Reciprocal", "Exp", "Log", "Abs", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos",
          "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Not", "IsNaN", "IsInf",
          "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Selu", "Celu", "Softplus", "Softsign", "Mish",
          "ThresholdedRelu" -> Elementwise.unary(n, n.opType(), x, out);
      default -> throw new IllegalArgumentException("operator " + n.opType() + " is not foldable");
    };
  }

  /** Evaluates a constant producer: Constant, ConstantOfShape or Range (inputs must be constants). */
  static Tensor create(Node n, Values v) {
    Attributes a = n.attributes();
    switch (n.opType()) {
      case "Constant" -> {
        if (a.has("value")) {
          return a.getTensor("value");
        }
        if (a.has("value_float")) {
          return Tensor.ofFloats(Shape.scalar(), new float[] {a.getFloat("value_float", 0)});
        }
        if (a.has("value_floats")) {
          float[] f = a.getFloats("value_floats", null);
          return Tensor.ofFloats(Shape.of(f.length), f);
        }
        if (a.has("value_int")) {
          return Tensor.ofLongs(Shape.scalar(), new long[] {a.getInt("value_int")});
        }
        if (a.has("value_ints")) {
          long[] l = a.getInts("value_ints", null);
          return Tensor.ofLongs(Shape.of(l.length), l);
        }
        throw new ModelException("Constant needs one of the attributes value, value_float, value_floats,"
            + " value_int, value_ints (value_string(s) and sparse_value are not supported), got " + a.names());
      }
      case "ConstantOfShape" -> {
        long[] dims = constantInput(n, 0, v).toLongs();
        Shape shape;
        try {
          shape = Shape.of(dims);
        } catch (IllegalArgumentException e) {
          throw new ModelException("shape " + Arrays.toString(dims) + " is invalid: " + e.getMessage());
        }
        Tensor value = a.has("value") ? a.getTensor("value") : Tensor.ofFloats(Shape.of(1), new float[] {0f});
        if (value.size() != 1) {
          throw new ModelException("attribute 'value' must hold one element, got shape " + value.shape());
        }
        if (value.isFloating()) {
          float[] f = new float[shape.size()];
          Arrays.fill(f, value.floats()[0]);
          return Tensor.ofFloats(value.dtype(), shape, f);
        }
        long[] l = new long[shape.size()];
        Arrays.fill(l, value.longs()[0]);
        return Tensor.ofLongs(value.dtype(), shape, l);
      }
      case "Range" -> {
        Tensor start = constantInput(n, 0, v);
        Tensor limit = constantInput(n, 1, v);
        Tensor delta = constantInput(n, 2, v);
        if (start.size() != 1 || limit.size() != 1 || delta.size() != 1) {
          throw new ModelException("start, limit and delta must be scalars, got shapes " + start.shape() + ", "
              + limit.shape() + ", " + delta.shape());
        }
        double s = start.get(0);
        double d = delta.get(0);
        if (d == 0) {
          throw new ModelException("delta must not be 0");
        }
        int count = (int) Math.max(Math.ceil((limit.get(0) - s) / d), 0);
        if (start.isFloating()) {
          float[] f = new float[count];
          for (int i = 0; i < count; i++) {
            f[i] = (float) (s + i * d);
          }
          return Tensor.ofFloats(start.dtype(), Shape.of(count), f);
        }
        long[] l = new long[count];
        for (int i = 0; i < count; i++) {
          l[i] = start.longs()[0] + i * delta.longs()[0];
        }
        return Tensor.ofLongs(start.dtype(), Shape.of(count), l);
      }
      default -> throw new IllegalArgumentException(n.opType() + " is not a constant producer");
    }
  }

  private static Tensor constantInput(Node n, int i, Values v) {
    ShapeInference.in(n, i, v);
    Tensor t = v.constant(n.input(i));
    if (t == null) {
      throw new ModelException("input " + i + " ('" + n.input(i) + "') must be a constant; Braid resolves shapes"
          + " when a model loads");
    }
    return t;
  }

  /** Clip with bounds from attributes (opset &lt; 11) or constant inputs, in the input's type. */
  private static Tensor clip(Node n, List<Tensor> inputs, ValueInfo out) {
    Tensor x = inputs.get(0);
    Tensor lo = inputs.size() > 1 ? inputs.get(1) : null;
    Tensor hi = inputs.size() > 2 ? inputs.get(2) : null;
    Attributes a = n.attributes();
    if (x.isFloating()) {
      float min = lo != null ? (float) lo.get(0) : a.getFloat("min", Float.NEGATIVE_INFINITY);
      float max = hi != null ? (float) hi.get(0) : a.getFloat("max", Float.POSITIVE_INFINITY);
      float[] f = x.floats().clone();
      for (int i = 0; i < f.length; i++) {
        f[i] = Math.min(Math.max(f[i], min), max);
      }
      return Tensor.ofFloats(out.dtype(), out.shape(), f);
    }
    long min = lo != null ? lo.longs()[0] : Long.MIN_VALUE;
    long max = hi != null ? hi.longs()[0] : Long.MAX_VALUE;
    long[] l = x.longs().clone();
    for (int i = 0; i < l.length; i++) {
      l[i] = Math.min(Math.max(l[i], min), max);
    }
    return Tensor.ofLongs(out.dtype(), out.shape(), l);
  }

  /** Converts values to {@code to}, truncating floats toward zero and wrapping narrower integers. */
  static Tensor cast(Tensor x, DType to) {
    if (to == DType.BFLOAT16 && x.dtype() != DType.BFLOAT16) {
      throw new ModelException("Cast from " + x.dtype().onnxName() + " to BFLOAT16 is not supported: its rounding"
          + " differs between ONNX versions (truncation in 1.12, nearest-even since 1.14)");
    }
    if (to == DType.FLOAT16 && x.dtype() != DType.FLOAT16) {
      float[] f = x.toFloats().clone();
      for (int i = 0; i < f.length; i++) {
        f[i] = toHalfPrecision(f[i]);
      }
      return Tensor.ofFloats(to, x.shape(), f);
    }
    if (to.isFloating()) {
      return Tensor.ofFloats(to, x.shape(), x.toFloats().clone());
    }
    long[] l = new long[x.size()];
    for (int i = 0; i < l.length; i++) {
      double d = x.get(i);
      long raw = x.isFloating() ? (long) d : x.longs()[i];
      l[i] = switch (to) {
        case BOOL -> (x.isFloating() ? d != 0 : raw != 0) ? 1 : 0;
        case INT8 -> (byte) raw;
        case UINT8 -> raw & 0xFF;
        case INT16 -> (short) raw;
        case UINT16 -> raw & 0xFFFF;
        case INT32 -> (int) raw;
        case UINT32 -> raw & 0xFFFFFFFFL;
        default -> raw;
      };
    }
    return Tensor.ofLongs(to, x.shape(), l);
  }

  /**
   * {@code x} rounded to the nearest float16 value (ties to even; subnormals below 2^-14, infinity
   * from 65520), as the device's Cast does (UnaryOp.ROUND_HALF). Powers-of-two scaling is exact,
   * so rint does the rounding.
   */
  static float toHalfPrecision(float x) {
    if (Float.isNaN(x) || Float.isInfinite(x) || x == 0f) {
      return x;
    }
    float a = Math.abs(x);
    if (a >= 65520f) {
      return Math.copySign(Float.POSITIVE_INFINITY, x);
    }
    double quantum = Math.scalb(1.0, Math.max(Math.getExponent(a), -14) - 10);
    return (float) Math.copySign(Math.rint(a / quantum) * quantum, x);
  }

  private static Tensor gather(Node n, Tensor data, Tensor indices, ValueInfo out) {
    int r = data.shape().rank();
    int axis = Axes.normalize(n.attributes().getInt("axis", 0), r, "attribute 'axis'");
    int outer = data.shape().product(0, axis);
    int dim = data.shape().dim(axis);
    int inner = data.shape().product(axis + 1, r);
    long[] idx = indices.toLongs();
    int[] src = new int[out.shape().size()];
    int k = 0;
    for (int o = 0; o < outer; o++) {
      for (long raw : idx) {
        long j = raw < 0 ? raw + dim : raw;
        if (j < 0 || j >= dim) {
          throw new ModelException("index " + raw + " is out of range for axis " + axis + " of size " + dim);
        }
        for (int i = 0; i < inner; i++) {
          src[k++] = (int) ((o * (long) dim + j) * inner + i);
        }
      }
    }
    return Elementwise.select(data, src, out);
  }

  private static Tensor concat(Node n, List<Tensor> inputs, ValueInfo out) {
    int rank = out.shape().rank();
    int axis = Axes.normalize(n.attributes().getInt("axis"), rank, "attribute 'axis'");
    int outer = out.shape().product(0, axis);
    boolean floating = out.dtype().isFloating();
    float[] f = floating ? new float[out.shape().size()] : null;
    long[] l = floating ? null : new long[out.shape().size()];
    int pos = 0;
    for (int o = 0; o < outer; o++) {
      for (Tensor t : inputs) {
        if (t == null) {
          continue;
        }
        int chunk = t.shape().product(axis, rank);
        if (floating) {
          System.arraycopy(t.floats(), o * chunk, f, pos, chunk);
        } else {
          System.arraycopy(t.longs(), o * chunk, l, pos, chunk);
        }
        pos += chunk;
      }
    }
    return floating ? Tensor.ofFloats(out.dtype(), out.shape(), f) : Tensor.ofLongs(out.dtype(), out.shape(), l);
  }

  private static Tensor transpose(Node n, Tensor x, ValueInfo out) {
    int rank = x.shape().rank();
    int[] perm = LayoutShapes.permutation(n, rank);
    int[] inStrides = x.shape().strides();
    int[] outDims = out.shape().dims();
    int[] src = new int[out.shape().size()];
    int[] idx = new int[rank];
    for (int k = 0; k < src.length; k++) {
      int off = 0;
      for (int d = 0; d < rank; d++) {
        off += idx[d] * inStrides[perm[d]];
      }
      src[k] = off;
      for (int d = rank - 1; d >= 0; d--) {
        if (++idx[d] < outDims[d]) {
          break;
        }
        idx[d] = 0;
      }
    }
    return Elementwise.select(x, src, out);
  }
}
