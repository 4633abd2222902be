package dev.braid.model.fold;

import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;

/**
 * Constant folding of ReduceSum, ReduceProd, ReduceMax, ReduceMin, ArgMax and ArgMin on the host:
 * integers in 64-bit arithmetic (shape computations such as the product of a slice of a Shape),
 * floats in double rounded once to float32. The output's shape is inference's, so keepdims needs
 * no handling here.
 */
final class HostReductions {
  private HostReductions() {}

  static final java.util.Set<String> OPS = java.util.Set.of("ReduceSum", "ReduceProd", "ReduceMax", "ReduceMin",
      "ArgMax", "ArgMin");

  static Tensor evaluate(Node n, Tensor x, ValueInfo out, Values v) {
    Shape s = x.shape();
    int rank = s.rank();
    boolean arg = n.opType().startsWith("Arg");
    boolean[] reduced;
    if (arg) {
      reduced = new boolean[rank];
      reduced[Axes.normalize(n.attributes().getInt("axis", 0), rank, "attribute 'axis'")] = true;
    } else {
      reduced = LayoutShapes.reducedAxes(n, v, rank);
    }
    int[] strides = s.strides();
    int outputs = out.shape().size();
    int count = 1;
    for (int d = 0; d < rank; d++) {
      if (reduced[d]) {
        count *= s.dim(d);
      }
    }
    boolean last = n.attributes().getInt("select_last_index", 0) != 0;
    boolean integral = !x.isFloating();
    long[] longs = integral || arg ? new long[outputs] : null;
    float[] floats = integral || arg ? null : new float[outputs];
    int[] pos = new int[rank];
    for (int o = 0; o < outputs; o++) {
      // the o-th combination of kept coordinates, row-major
      int rem = o;
      for (int d = rank - 1; d >= 0; d--) {
        if (!reduced[d]) {
          pos[d] = rem % s.dim(d);
          rem /= s.dim(d);
        } else {
          pos[d] = 0;
        }
      }
      double acc = switch (n.opType()) {
        case "ReduceProd" -> 1;
        case "ReduceMax" -> Double.NEGATIVE_INFINITY;
        case "ReduceMin" -> Double.POSITIVE_INFINITY;
        default -> 0;
      };
      long lacc = switch (n.opType()) {
        case "ReduceProd" -> 1;
        case "ReduceMax" -> Long.MIN_VALUE;
        case "ReduceMin" -> Long.MAX_VALUE;
        default -> 0;
      };
      double best = 0;
      int bestIndex = -1;
      for (int i = 0; i < count; i++) {
        int flat = 0;
        for (int d = 0; d < rank; d++) {
          flat += pos[d] * strides[d];
        }
        double e = x.get(flat);
        switch (n.opType()) {
          case "ReduceSum" -> {
            acc += e;
            lacc = integral ? Math.addExact(lacc, x.longs()[flat]) : 0;
          }
          case "ReduceProd" -> {
            acc *= e;
            lacc = integral ? Math.multiplyExact(lacc, x.longs()[flat]) : 0;
          }
          case "ReduceMax" -> {
            acc = Double.isNaN(acc) || Double.isNaN(e) ? Double.NaN : Math.max(acc, e);
            lacc = integral ? Math.max(lacc, x.longs()[flat]) : 0;
          }
          case "ReduceMin" -> {
            acc = Double.isNaN(acc) || Double.isNaN(e) ? Double.NaN : Math.min(acc, e);
            lacc = integral ? Math.min(lacc, x.longs()[flat]) : 0;
          }
          default -> {
            boolean max = n.opType().equals("ArgMax");
            if (bestIndex < 0 || (max ? e > best : e < best) || (last && e == best)) {
              best = e;
              bestIndex = i;
            }
          }
        }
        for (int d = rank - 1; d >= 0; d--) {
          if (reduced[d] && ++pos[d] < s.dim(d)) {
            break;
          }
          if (reduced[d]) {
            pos[d] = 0;
          }
        }
      }
      if (arg) {
        longs[o] = bestIndex;
      } else if (integral) {
        longs[o] = lacc;
      } else {
        floats[o] = (float) acc;
      }
    }
    return arg || integral ? Tensor.ofLongs(out.dtype(), out.shape(), longs) : Tensor.ofFloats(out.dtype(), out.shape(), floats);
  }
}
