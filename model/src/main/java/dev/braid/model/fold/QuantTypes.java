package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The type rules of ONNX's quantization operators that {@link QuantDecompositions} rewrites: each
 * one's output type and shape ({@link #infer}), and the checks of its inputs, scales, zero points
 * and axis at load, refused naming the input and the received type or shape.
 */
final class QuantTypes {
  private QuantTypes() {}

  /** The first output's info for the operators here; null for any other operator. */
  static ValueInfo infer(Node n, Values v) {
    if (!QuantDecompositions.applies(n)) {
      return null;
    }
    String out = n.output(0);
    ValueInfo x = ShapeInference.in(n, 0, v);
    return switch (n.opType()) {
      case "QuantizeLinear" -> {
        requireFloat32(x, n.input(1), v);
        checkQuantParams(n, v, x, 1, 2);
        yield new ValueInfo(out, quantizedType(n, v), x.shape());
      }
      case "DequantizeLinear" -> {
        requireQuantized(x.dtype(), "input x '" + x.name() + "'", true);
        checkQuantParams(n, v, x, 1, 2);
        yield new ValueInfo(out, ShapeInference.in(n, 1, v).dtype(), x.shape());
      }
      case "DynamicQuantizeLinear" -> {
        requireFloat32(x, null, v);
        yield new ValueInfo(out, DType.UINT8, x.shape());
      }
      case "MatMulInteger" -> {
        requireQuantized(x.dtype(), "input A '" + x.name() + "'", false);
        requireQuantized(ShapeInference.in(n, 1, v).dtype(), "input B '" + n.input(1) + "'", false);
        ValueInfo product = ShapeInference.infer(new Node(n.name(), "MatMul", List.of(n.input(0), n.input(1)),
            List.of(out), Attributes.empty()), v);
        yield new ValueInfo(out, DType.INT32, product.shape());
      }
      case "ConvInteger" -> {
        requireQuantized(x.dtype(), "input x '" + x.name() + "'", false);
        requireQuantized(ShapeInference.in(n, 1, v).dtype(), "input w '" + n.input(1) + "'", false);
        ValueInfo conv = ShapeInference.infer(new Node(n.name(), "Conv", List.of(n.input(0), n.input(1)),
            List.of(out), n.attributes()), v);
        yield new ValueInfo(out, DType.INT32, conv.shape());
      }
      case "QLinearMatMul" -> {
        requireQuantized(x.dtype(), "input a '" + x.name() + "'", false);
        requireQuantized(ShapeInference.in(n, 3, v).dtype(), "input b '" + n.input(3) + "'", false);
        ValueInfo product = ShapeInference.infer(new Node(n.name(), "MatMul", List.of(n.input(0), n.input(3)),
            List.of(out), Attributes.empty()), v);
        yield new ValueInfo(out, requantizedType(n, v), product.shape());
      }
      case "QLinearConv" -> {
        requireQuantized(x.dtype(), "input x '" + x.name() + "'", false);
        requireQuantized(ShapeInference.in(n, 3, v).dtype(), "input w '" + n.input(3) + "'", false);
        ValueInfo conv = ShapeInference.infer(new Node(n.name(), "Conv", List.of(n.input(0), n.input(3)),
            List.of(out), n.attributes()), v);
        yield new ValueInfo(out, requantizedType(n, v), conv.shape());
      }
      default -> throw new IllegalArgumentException("no inference for " + n.opType());
    };
  }

  static void requireZeroPointShape(WorkGraph g, String zp, String role, int perAxis) {
    if (zp == null) {
      return;
    }
    Shape s = g.info(zp).shape();
    if (!(s.size() == 1 && s.rank() <= 1) && !(s.rank() == 1 && s.dim(0) == perAxis)) {
      throw new ModelException(role + " '" + zp + "' must be a scalar or have shape [" + perAxis + "], got " + s);
    }
  }

  static boolean isVector(WorkGraph g, String v) {
    return v != null && g.info(v).shape().rank() == 1 && g.info(v).shape().size() > 1;
  }

  // ---- checks and small helpers ----

  /** The output type of QuantizeLinear: the zero point's, else opset 21's output_dtype, else UINT8. */
  static DType quantizedType(Node n, Values v) {
    DType t;
    if (n.hasInput(2)) {
      t = v.info(n.input(2)).dtype();
    } else if (n.attributes().has("output_dtype")) {
      t = ShapeInference.castTarget(new Node(n.name(), "Cast", n.inputs(), n.outputs(),
          Attributes.of(Map.of("to", new Attribute.Int(n.attributes().getInt("output_dtype"))))));
    } else {
      t = DType.UINT8;
    }
    requireQuantized(t, "the output type", false);
    return t;
  }

  /** The output type of QLinearMatMul/QLinearConv: y_zero_point's, else the first input's. */
  static DType requantizedType(Node n, Values v) {
    DType t = n.hasInput(7) ? v.info(n.input(7)).dtype() : v.info(n.input(0)).dtype();
    requireQuantized(t, "the output type (y_zero_point's)", false);
    return t;
  }

  static void checkQuantParams(Node n, Values v, ValueInfo x, int scaleIdx, int zpIdx) {
    if (n.attributes().getInt("block_size", 0) != 0) {
      throw new ModelException("attribute 'block_size' " + n.attributes().getInt("block_size", 0)
          + " (blocked quantization) is not supported; expected 0 (per-tensor or per-axis)");
    }
    ValueInfo scale = ShapeInference.in(n, scaleIdx, v);
    if (!scale.dtype().isFloating()) {
      throw new ModelException("scale (input " + scaleIdx + ", '" + scale.name() + "') must be floating, got "
          + scale.dtype().onnxName());
    }
    for (int i : new int[] {scaleIdx, zpIdx}) {
      if (!n.hasInput(i)) {
        continue;
      }
      Shape s = v.info(n.input(i)).shape();
      if (s.size() == 1 && s.rank() <= 1) {
        continue; // per tensor: axis does not apply
      }
      int axis = Axes.normalize(n.attributes().getInt("axis", 1), x.shape().rank(), "attribute 'axis'");
      if (s.rank() != 1 || s.dim(0) != x.shape().dim(axis)) {
        throw new ModelException("input " + i + " '" + n.input(i) + "' must be a scalar or a 1-D tensor of the "
            + x.shape().dim(axis) + " elements of axis " + axis + " of x " + x.shape() + ", got shape " + s);
      }
    }
  }

  /** The quantization axis, normalized; 0 where it does not apply (checked by checkQuantParams where it does). */
  static int axis(Node n, Values v) {
    int rank = v.info(n.input(0)).shape().rank();
    long axis = n.attributes().getInt("axis", 1);
    return axis >= -rank && axis < rank ? (int) (axis < 0 ? axis + rank : axis) : 0;
  }

  /**
   * Quantizing divides {@code x / scale} in x's own precision and rounds the quotient: a float16,
   * double or int32 x (whose quotient ONNX takes in float64) would round some quotients
   * differently in Braid's float32, so only float32 x and scale are taken.
   */
  static void requireFloat32(ValueInfo x, String scale, Values v) {
    DType st = scale == null ? DType.FLOAT32 : v.info(scale).dtype();
    if (x.dtype() != DType.FLOAT32 || st != DType.FLOAT32) {
      throw new ModelException("input x '" + x.name() + "' and its scale must be FLOAT (float32), got "
          + x.dtype().onnxName() + " and " + st.onnxName() + ": the quotient x / scale is rounded to an integer, and"
          + " Braid divides in float32 only, which can round a quotient of another precision differently");
    }
  }

  static void requireQuantized(DType t, String role, boolean int32Allowed) {
    boolean ok = t == DType.UINT8 || t == DType.INT8 || t == DType.UINT16 || t == DType.INT16
        || (int32Allowed && t == DType.INT32);
    if (!ok) {
      throw new ModelException(role + " must be UINT8, INT8, UINT16 or INT16" + (int32Allowed ? " or INT32" : "")
          + ", got " + t.onnxName());
    }
  }
}
