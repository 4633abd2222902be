package dev.braid.model.fold;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.ValueInfo;
import java.util.Set;

/**
 * Shape and type inference for the elementwise operators of {@code Operators.ELEMENTWISE}: unary
 * math and activations keep their input's type and shape; comparisons, IsNaN and IsInf give BOOL;
 * binary and variadic operators broadcast (numpy rules); PRelu broadcasts its slope to X only;
 * Where broadcasts all three inputs; CastLike takes its second input's type. Pure.
 */
final class ElementwiseShapes {
  private ElementwiseShapes() {}

  static final Set<String> UNARY = Set.of(
      "Neg", "Reciprocal", "Exp", "Log", "Abs", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin",
      "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu",
      "Selu", "Celu", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Not");
  static final Set<String> COMPARISON = Set.of("Equal", "Less", "Greater", "GreaterOrEqual", "LessOrEqual");
  static final Set<String> BINARY = Set.of("Mod", "And", "Or", "Xor", "BitShift");
  static final Set<String> VARIADIC = Set.of("Min", "Max", "Mean", "Sum");
  private static final Set<String> LOGICAL = Set.of("And", "Or", "Xor", "Not");

  /** The output info, or null when {@code n} is not one of these operators. */
  static ValueInfo infer(Node n, Values v) {
    String op = n.opType();
    String out = n.output(0);
    if (UNARY.contains(op)) {
      ValueInfo x = ShapeInference.in(n, 0, v);
      requireBoolIfLogical(op, x);
      return ShapeInference.rename(x, out);
    }
    if (op.equals("IsNaN") || op.equals("IsInf")) {
      return new ValueInfo(out, DType.BOOL, ShapeInference.in(n, 0, v).shape());
    }
    if (COMPARISON.contains(op) || BINARY.contains(op)) {
      ValueInfo a = ShapeInference.in(n, 0, v);
      ValueInfo b = ShapeInference.in(n, 1, v);
      sameType(op, a, b);
      requireBoolIfLogical(op, a);
      if (op.equals("Mod") && a.dtype().isFloating() && n.attributes().getInt("fmod", 0) == 0) {
        throw new ModelException("attribute 'fmod' must be 1 for floating inputs (" + a.dtype().onnxName()
            + "), got 0");
      }
      if (op.equals("BitShift")) {
        String dir = n.attributes().getString("direction", "");
        if (!dir.equals("LEFT") && !dir.equals("RIGHT")) {
          throw new ModelException("attribute 'direction' must be 'LEFT' or 'RIGHT', got '" + dir + "'");
        }
        if (a.dtype() != DType.UINT8 && a.dtype() != DType.UINT16 && a.dtype() != DType.UINT32
            && a.dtype() != DType.UINT64) {
          throw new ModelException("BitShift needs unsigned integer inputs, got " + a.dtype().onnxName());
        }
      }
      DType t = COMPARISON.contains(op) ? DType.BOOL : a.dtype();
      return new ValueInfo(out, t, Broadcasting.shape(a.shape(), b.shape()));
    }
    if (VARIADIC.contains(op)) {
      if (n.inputs().isEmpty()) {
        throw new ModelException(op + " needs at least one input, got none");
      }
      ValueInfo first = ShapeInference.in(n, 0, v);
      Shape s = first.shape();
      for (int i = 1; i < n.inputs().size(); i++) {
        ValueInfo x = ShapeInference.in(n, i, v);
        sameType(op, first, x);
        s = Broadcasting.shape(s, x.shape());
      }
      return new ValueInfo(out, first.dtype(), s);
    }
    return switch (op) {
      case "PRelu" -> {
        ValueInfo x = ShapeInference.in(n, 0, v);
        ValueInfo slope = ShapeInference.in(n, 1, v);
        sameType(op, x, slope);
        if (!Broadcasting.shape(x.shape(), slope.shape()).equals(x.shape())) {
          throw new ModelException("slope " + slope.shape() + " does not broadcast to X " + x.shape());
        }
        yield ShapeInference.rename(x, out);
      }
      case "Where" -> {
        ValueInfo c = ShapeInference.in(n, 0, v);
        ValueInfo x = ShapeInference.in(n, 1, v);
        ValueInfo y = ShapeInference.in(n, 2, v);
        if (c.dtype() != DType.BOOL) {
          throw new ModelException("condition must be BOOL, got " + c.dtype().onnxName());
        }
        sameType(op, x, y);
        yield new ValueInfo(out, x.dtype(), Broadcasting.shape(c.shape(), Broadcasting.shape(x.shape(), y.shape())));
      }
      case "CastLike" -> new ValueInfo(out, ShapeInference.in(n, 1, v).dtype(), ShapeInference.in(n, 0, v).shape());
      default -> null;
    };
  }

  private static void sameType(String op, ValueInfo a, ValueInfo b) {
    if (a.dtype() != b.dtype()) {
      throw new ModelException("inputs '" + a.name() + "' and '" + b.name() + "' have different element types, "
          + a.dtype().onnxName() + " and " + b.dtype().onnxName() + "; " + op + " needs equal types");
    }
  }

  private static void requireBoolIfLogical(String op, ValueInfo x) {
    if (LOGICAL.contains(op) && x.dtype() != DType.BOOL) {
      throw new ModelException(op + " needs BOOL inputs, got " + x.dtype().onnxName() + " for '" + x.name() + "'");
    }
  }
}
