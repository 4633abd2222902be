package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;

/** Host elementwise math with broadcasting, and gathers by flat index, for constant folding. */
final class Elementwise {
  private Elementwise() {}

  static Tensor binary(String op, Tensor a, Tensor b, ValueInfo out) {
    Shape s = out.shape();
    int[] sa = Broadcasting.stridesFor(a.shape(), s);
    int[] sb = Broadcasting.stridesFor(b.shape(), s);
    int[] dims = s.dims();
    int[] idx = new int[dims.length];
    int n = s.size();
    boolean floating = out.dtype().isFloating();
    float[] f = floating ? new float[n] : null;
    long[] l = floating ? null : new long[n];
    int ia = 0;
    int ib = 0;
    for (int k = 0; k < n; k++) {
      if (floating) {
        f[k] = (float) applyDouble(op, a.get(ia), b.get(ib));
      } else if (b.isFloating()) {
        l[k] = (long) applyDouble(op, a.get(ia), b.get(ib)); // Pow with an integer base, float exponent
      } else {
        l[k] = applyLong(op, a.longs()[ia], b.longs()[ib]);
      }
      for (int d = dims.length - 1; d >= 0; d--) {
        ia += sa[d];
        ib += sb[d];
        if (++idx[d] < dims[d]) {
          break;
        }
        ia -= sa[d] * dims[d];
        ib -= sb[d] * dims[d];
        idx[d] = 0;
      }
    }
    return floating ? Tensor.ofFloats(out.dtype(), s, f) : Tensor.ofLongs(out.dtype(), s, l);
  }

  private static double applyDouble(String op, double x, double y) {
    return switch (op) {
      case "Add" -> (float) x + (float) y;
      case "Sub" -> (float) x - (float) y;
      case "Mul" -> (float) x * (float) y;
      case "Div" -> (float) x / (float) y;
      case "Pow" -> Math.pow(x, y);
      default -> throw new IllegalArgumentException(op);
    };
  }

  private static long applyLong(String op, long x, long y) {
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
      case "Pow" -> (long) Math.pow(x, y);
      default -> throw new IllegalArgumentException(op);
    };
  }

  static Tensor unary(String op, Tensor x) {
    float[] in = x.toFloats();
    float[] f = new float[in.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = switch (op) {
        case "Sqrt" -> (float) Math.sqrt(in[i]);
        case "Relu" -> Math.max(in[i], 0f);
        default -> throw new IllegalArgumentException(op);
      };
    }
    if (x.isFloating()) {
      return Tensor.ofFloats(x.dtype(), x.shape(), f);
    }
    long[] l = new long[f.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = (long) f[i];
    }
    return Tensor.ofLongs(x.dtype(), x.shape(), l);
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
