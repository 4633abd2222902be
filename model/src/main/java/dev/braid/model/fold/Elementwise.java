package dev.braid.model.fold;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.List;

/** Host elementwise math with broadcasting, and gathers by flat index, for constant folding. */
final class Elementwise {
  private Elementwise() {}

  /**
   * {@code op} (a two-input ONNX operator: arithmetic, Min/Max, Mod, comparisons, logic, BitShift,
   * PRelu) of {@code a} and {@code b} broadcast to {@code out}. Integer operands are computed in
   * 64-bit arithmetic and wrapped to the output type; floating ones in float32, as the device.
   */
  static Tensor binary(Node n, String op, Tensor a, Tensor b, ValueInfo out) {
    int total = out.shape().size();
    int[] ia = offsets(a.shape(), out.shape());
    int[] ib = offsets(b.shape(), out.shape());
    boolean floatOut = out.dtype().isFloating();
    boolean floatIn = a.isFloating() || b.isFloating();
    float[] f = floatOut ? new float[total] : null;
    long[] l = floatOut ? null : new long[total];
    for (int k = 0; k < total; k++) {
      if (floatIn) {
        double r = applyDouble(op, a.get(ia[k]), b.get(ib[k]));
        if (floatOut) {
          f[k] = (float) r;
        } else {
          l[k] = (long) r; // a comparison's 0/1, or Pow of an integer base by a float exponent
        }
      } else {
        l[k] = applyLong(n, op, a.longs()[ia[k]], b.longs()[ib[k]]);
      }
    }
    return floatOut ? Tensor.ofFloats(out.dtype(), out.shape(), f)
        : HostEvaluator.cast(Tensor.ofLongs(DType.INT64, out.shape(), l), out.dtype());
  }

  /** Where(c, x, y) broadcast to {@code out}. */
  static Tensor where(Tensor c, Tensor x, Tensor y, ValueInfo out) {
    int total = out.shape().size();
    int[] ic = offsets(c.shape(), out.shape());
    int[] ix = offsets(x.shape(), out.shape());
    int[] iy = offsets(y.shape(), out.shape());
    if (out.dtype().isFloating()) {
      float[] f = new float[total];
      for (int k = 0; k < total; k++) {
        f[k] = c.get(ic[k]) != 0 ? x.floats()[ix[k]] : y.floats()[iy[k]];
      }
      return Tensor.ofFloats(out.dtype(), out.shape(), f);
    }
    long[] l = new long[total];
    for (int k = 0; k < total; k++) {
      l[k] = c.get(ic[k]) != 0 ? x.longs()[ix[k]] : y.longs()[iy[k]];
    }
    return Tensor.ofLongs(out.dtype(), out.shape(), l);
  }

  /** Sum, Mean, Max or Min of {@code inputs}, left to right, broadcast to {@code out}. */
  static Tensor variadic(Node n, List<Tensor> inputs, ValueInfo out) {
    String op = n.opType();
    String pairwise = op.equals("Sum") || op.equals("Mean") ? "Add" : op;
    Tensor acc = inputs.get(0);
    for (int i = 1; i < inputs.size(); i++) {
      Shape s = Broadcasting.shape(acc.shape(), inputs.get(i).shape());
      acc = binary(n, pairwise, acc, inputs.get(i), new ValueInfo(out.name(), out.dtype(), s));
    }
    if (op.equals("Mean")) {
      Tensor count = Tensor.ofFloats(out.dtype(), Shape.scalar(), new float[] {inputs.size()});
      acc = binary(n, "Div", acc, count, out);
    }
    return acc;
  }

  /** Flat offsets into a tensor of shape {@code in} for each element of {@code out} under broadcasting. */
  private static int[] offsets(Shape in, Shape out) {
    int[] strides = Broadcasting.stridesFor(in, out);
    int[] dims = out.dims();
    int[] idx = new int[dims.length];
    int[] result = new int[out.size()];
    int pos = 0;
    for (int k = 0; k < result.length; k++) {
      result[k] = pos;
      for (int d = dims.length - 1; d >= 0; d--) {
        pos += strides[d];
        if (++idx[d] < dims[d]) {
          break;
        }
        pos -= strides[d] * dims[d];
        idx[d] = 0;
      }
    }
    return result;
  }

  private static double applyDouble(String op, double x, double y) {
    float a = (float) x;
    float b = (float) y;
    return switch (op) {
      case "Add" -> a + b;
      case "Sub" -> a - b;
      case "Mul" -> a * b;
      case "Div" -> a / b;
      case "Pow" -> Math.pow(x, y);
      case "Max" -> Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.max(a, b);
      case "Min" -> Float.isNaN(a) || Float.isNaN(b) ? Float.NaN : Math.min(a, b);
      case "Mod" -> a % b; // fmod=1 (floats require it): the sign of the dividend
      case "PRelu" -> a < 0 ? a * b : a;
      case "Equal" -> a == b ? 1 : 0;
      case "Less" -> a < b ? 1 : 0;
      case "Greater" -> a > b ? 1 : 0;
      case "LessOrEqual" -> a <= b ? 1 : 0;
      case "GreaterOrEqual" -> a >= b ? 1 : 0;
      default -> throw new IllegalArgumentException(op);
    };
  }

  private static long applyLong(Node n, String op, long x, long y) {
    return switch (op) {
      case "Add" -> x + y;
      case "Sub" -> x - y;
      case "Mul" -> x * y;
      case "Div" -> {
        if (y == 0) {
          throw new ModelException("integer division by zero while folding constants");
        }
        yield x / y; // truncates toward zero, as ONNX Runtime's integer Div does
      }
      case "Mod" -> {
        if (y == 0) {
          throw new ModelException("integer Mod by zero while folding constants");
        }
        yield n.attributes().getInt("fmod", 0) != 0 ? x % y : Math.floorMod(x, y);
      }
      case "Pow" -> (long) Math.pow(x, y);
      case "Max" -> Math.max(x, y);
      case "Min" -> Math.min(x, y);
      case "PRelu" -> x < 0 ? x * y : x;
      case "Equal" -> x == y ? 1 : 0;
      case "Less" -> x < y ? 1 : 0;
      case "Greater" -> x > y ? 1 : 0;
      case "LessOrEqual" -> x <= y ? 1 : 0;
      case "GreaterOrEqual" -> x >= y ? 1 : 0;
      case "And" -> (x != 0 && y != 0) ? 1 : 0;
      case "Or" -> (x != 0 || y != 0) ? 1 : 0;
      case "Xor" -> ((x != 0) != (y != 0)) ? 1 : 0;
      case "BitShift" -> {
        boolean left = n.attributes().getString("direction", "").equals("LEFT");
        yield y >= 64 ? 0 : left ? x << y : x >>> y;
      }
      default -> throw new IllegalArgumentException(op);
    };
  }

  /**
   * A unary operator on the host: floating inputs through {@link UnaryMath} in double rounded to
   * float32; integer inputs (Neg, Abs, Sign, Not, Relu...) exactly in 64-bit arithmetic.
   */
  static Tensor unary(Node n, String op, Tensor x, ValueInfo out) {
    if (x.isFloating()) {
      float[] in = x.floats();
      if (!out.dtype().isFloating()) {
        long[] l = new long[in.length];
        for (int i = 0; i < l.length; i++) {
          l[i] = (long) UnaryMath.apply(n, op, in[i]); // IsNaN, IsInf: 0 or 1
        }
        return Tensor.ofLongs(out.dtype(), x.shape(), l);
      }
      float[] f = new float[in.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) UnaryMath.apply(n, op, in[i]);
      }
      return Tensor.ofFloats(out.dtype(), x.shape(), f);
    }
    long[] in = x.longs();
    long[] l = new long[in.length];
    for (int i = 0; i < l.length; i++) {
      long v = in[i];
      l[i] = switch (op) {
        case "Neg" -> -v;
        case "Abs" -> Math.abs(v);
        case "Sign" -> Long.signum(v);
        case "Not" -> v == 0 ? 1 : 0;
        case "Relu" -> Math.max(v, 0);
        case "IsNaN", "IsInf" -> 0;
        case "Floor", "Ceil", "Round", "Identity" -> v;
        default -> throw new ModelException(op + " is not defined on " + x.dtype().onnxName() + " inputs");
      };
    }
    return HostEvaluator.cast(Tensor.ofLongs(DType.INT64, x.shape(), l), out.dtype());
  }

  /** A tensor of {@code out}'s shape whose element k is {@code x}'s flat element {@code src[k]}. */
  static Tensor select(Tensor x, int[] src, ValueInfo out) {
    if (x.isFloating()) {
      float[] in = x.floats();
      float[] f = new float[src.length];
      for (int k = 0; k < src.length; k++) {
        f[k] = in[src[k]];
      }
      return Tensor.ofFloats(x.dtype(), out.shape(), f);
    }
    long[] in = x.longs();
    long[] l = new long[src.length];
    for (int k = 0; k < src.length; k++) {
      l[k] = in[src[k]];
    }
    return Tensor.ofLongs(x.dtype(), out.shape(), l);
  }
}
