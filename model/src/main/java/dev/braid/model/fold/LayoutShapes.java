package dev.braid.model.fold;

import static dev.braid.model.fold.ShapeInference.in;
import static dev.braid.model.fold.ShapeInference.requireRank;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shape inference for the operators that move, reshape, reduce or create data rather than
 * compute on it: Flatten, Reshape, Transpose, Concat, Squeeze, Unsqueeze, Gather, Cast, Shape,
 * ReduceMean, and the constant producers (Constant, ConstantOfShape, Range), whose shapes come
 * from evaluating them.
 */
final class LayoutShapes {
  private LayoutShapes() {}

  static ValueInfo infer(Node n, Values v, String out) {
    return switch (n.opType()) {
      case "Flatten" -> flatten(n, v, out);
      case "Reshape" -> new ValueInfo(out, in(n, 0, v).dtype(), reshape(n, v));
      case "Transpose" -> transpose(n, v, out);
      case "Concat" -> concat(n, v, out);
      case "Squeeze" -> new ValueInfo(out, in(n, 0, v).dtype(), squeeze(n, v));
      case "Unsqueeze" -> new ValueInfo(out, in(n, 0, v).dtype(), unsqueeze(n, v));
      case "Gather" -> gather(n, v, out);
      case "Cast" -> new ValueInfo(out, ShapeInference.castTarget(n), in(n, 0, v).shape());
      case "Shape" -> new ValueInfo(out, DType.INT64, Shape.of(shapeRange(n, in(n, 0, v).shape().rank())[1]));
      case "ReduceMean" -> reduceMean(n, v, out);
      case "Constant", "ConstantOfShape", "Range" -> {
        Tensor t = HostEvaluator.create(n, v);
        yield new ValueInfo(out, t.dtype(), t.shape());
      }
      default -> TensorShapes.infer(n, v, out);
    };
  }

  private static ValueInfo flatten(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    int r = x.shape().rank();
    long axis = n.attributes().getInt("axis", 1);
    if (axis < -r || axis > r) {
      throw new ModelException("attribute 'axis' " + axis + " is out of range for rank " + r + " (expected " + -r
          + ".." + r + ")");
    }
    int a = (int) (axis < 0 ? axis + r : axis);
    return new ValueInfo(out, x.dtype(), Shape.of(x.shape().product(0, a), x.shape().product(a, r)));
  }

  /** Reshape's output shape: 0 copies the input dim (unless allowzero), one -1 is inferred. */
  static Shape reshape(Node n, Values v) {
    Shape x = in(n, 0, v).shape();
    Tensor target = v.constant(n.input(1));
    if (target == null) {
      throw new ModelException("the target shape (input 1, '" + n.input(1) + "') must be a constant or"
          + " computable from static shapes; Braid resolves shapes when a model loads");
    }
    long[] spec = target.toLongs();
    boolean allowZero = n.attributes().getInt("allowzero", 0) != 0;
    long[] dims = new long[spec.length];
    int inferred = -1;
    long known = 1;
    for (int i = 0; i < spec.length; i++) {
      long d = spec[i];
      if (d == 0 && !allowZero) {
        if (i >= x.rank()) {
          throw new ModelException("target shape " + Arrays.toString(spec) + " copies dimension " + i
              + " (0) but the input " + x + " has rank " + x.rank());
        }
        d = x.dim(i);
      }
      if (d == -1) {
        if (inferred >= 0) {
          throw new ModelException("target shape " + Arrays.toString(spec) + " has more than one -1");
        }
        inferred = i;
        continue;
      }
      if (d < 0) {
        throw new ModelException("target shape " + Arrays.toString(spec) + " has invalid dimension " + d);
      }
      dims[i] = d;
      known *= d;
    }
    long size = x.size();
    if (inferred >= 0) {
      if (known == 0 || size % known != 0) {
        throw new ModelException("cannot reshape " + x + " (" + size + " elements) to " + Arrays.toString(spec));
      }
      dims[inferred] = size / known;
    } else if (known != size) {
      throw new ModelException("cannot reshape " + x + " (" + size + " elements) to " + Arrays.toString(spec)
          + " (" + known + " elements)");
    }
    return Shape.of(dims);
  }

  /** The permutation of a Transpose node on input of rank {@code rank} (default: reversed). */
  static int[] permutation(Node n, int rank) {
    long[] perm = n.attributes().getInts("perm", null);
    int[] p = new int[rank];
    if (perm == null) {
      for (int i = 0; i < rank; i++) {
        p[i] = rank - 1 - i;
      }
      return p;
    }
    if (perm.length != rank) {
      throw new ModelException("attribute 'perm' " + Arrays.toString(perm) + " must have " + rank + " entries");
    }
    p = Axes.normalizeAll(perm, rank, "attribute 'perm'");
    return p;
  }

  private static ValueInfo transpose(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    int[] p = permutation(n, x.shape().rank());
    int[] d = new int[p.length];
    for (int i = 0; i < p.length; i++) {
      d[i] = x.shape().dim(p[i]);
    }
    return new ValueInfo(out, x.dtype(), Shape.of(d));
  }

  private static ValueInfo concat(Node n, Values v, String out) {
    List<ValueInfo> parts = new ArrayList<>();
    for (String i : n.inputs()) {
      if (!i.isEmpty()) {
        parts.add(v.info(i));
      }
    }
    if (parts.isEmpty()) {
      throw new ModelException("Concat needs at least one input");
    }
    ValueInfo first = parts.get(0);
    int rank = first.shape().rank();
    int axis = Axes.normalize(n.attributes().getInt("axis"), rank, "attribute 'axis'");
    int total = 0;
    for (ValueInfo p : parts) {
      if (p.dtype() != first.dtype() || p.shape().rank() != rank) {
        throw new ModelException("input '" + p.name() + "' (" + p.dtype().onnxName() + " " + p.shape()
            + ") does not match input '" + first.name() + "' (" + first.dtype().onnxName() + " " + first.shape() + ")");
      }
      for (int d = 0; d < rank; d++) {
        if (d != axis && p.shape().dim(d) != first.shape().dim(d)) {
          throw new ModelException("input '" + p.name() + "' " + p.shape() + " differs from '" + first.name() + "' "
              + first.shape() + " in dimension " + d + ", which is not the concatenation axis " + axis);
        }
      }
      total += p.shape().dim(axis);
    }
    return new ValueInfo(out, first.dtype(), first.shape().withDim(axis, total));
  }

  static Shape squeeze(Node n, Values v) {
    Shape x = in(n, 0, v).shape();
    long[] axes = Axes.fromInputOrAttribute(n, 1, v);
    boolean[] drop = new boolean[x.rank()];
    if (axes == null) {
      for (int i = 0; i < x.rank(); i++) {
        drop[i] = x.dim(i) == 1;
      }
    } else {
      for (int a : Axes.normalizeAll(axes, x.rank(), "axes")) {
        if (x.dim(a) != 1) {
          throw new ModelException("cannot squeeze axis " + a + " of " + x + ": its size is " + x.dim(a) + ", not 1");
        }
        drop[a] = true;
      }
    }
    List<Integer> d = new ArrayList<>();
    for (int i = 0; i < x.rank(); i++) {
      if (!drop[i]) {
        d.add(x.dim(i));
      }
    }
    return Shape.of(d.stream().mapToInt(Integer::intValue).toArray());
  }

  static Shape unsqueeze(Node n, Values v) {
    Shape x = in(n, 0, v).shape();
    long[] axes = Axes.fromInputOrAttribute(n, 1, v);
    if (axes == null) {
      throw new ModelException("axes are required (attribute before opset 13, input 1 from opset 13)");
    }
    int rank = x.rank() + axes.length;
    boolean[] inserted = new boolean[rank];
    for (int a : Axes.normalizeAll(axes, rank, "axes")) {
      inserted[a] = true;
    }
    int[] d = new int[rank];
    int j = 0;
    for (int i = 0; i < rank; i++) {
      d[i] = inserted[i] ? 1 : x.dim(j++);
    }
    return Shape.of(d);
  }

  private static ValueInfo gather(Node n, Values v, String out) {
    ValueInfo data = in(n, 0, v);
    ValueInfo idx = in(n, 1, v);
    requireRank(data, 1, Integer.MAX_VALUE, "data");
    if (idx.dtype() != DType.INT64 && idx.dtype() != DType.INT32) {
      throw new ModelException("indices must be INT32 or INT64, got " + idx.dtype().onnxName());
    }
    int r = data.shape().rank();
    int axis = Axes.normalize(n.attributes().getInt("axis", 0), r, "attribute 'axis'");
    int[] dd = data.shape().dims();
    int[] id = idx.shape().dims();
    int[] o = new int[r - 1 + id.length];
    System.arraycopy(dd, 0, o, 0, axis);
    System.arraycopy(id, 0, o, axis, id.length);
    System.arraycopy(dd, axis + 1, o, axis + id.length, r - axis - 1);
    return new ValueInfo(out, data.dtype(), Shape.of(o));
  }

  /** Shape's {start, length} after ONNX clamping of start and end to {@code [0, rank]}. */
  static int[] shapeRange(Node n, int rank) {
    long start = n.attributes().getInt("start", 0);
    long end = n.attributes().getInt("end", rank);
    start = Math.min(Math.max(start < 0 ? start + rank : start, 0), rank);
    end = Math.min(Math.max(end < 0 ? end + rank : end, 0), rank);
    return new int[] {(int) start, (int) Math.max(0, end - start)};
  }

  /** ReduceMean's reduced axes; empty with noop_with_empty_axes means no reduction. */
  static boolean[] reducedAxes(Node n, Values v, int rank) {
    long[] axes = Axes.fromInputOrAttribute(n, 1, v);
    boolean[] reduce = new boolean[rank];
    if (axes == null || axes.length == 0) {
      if (n.attributes().getInt("noop_with_empty_axes", 0) == 0) {
        Arrays.fill(reduce, true);
      }
      return reduce;
    }
    for (int a : Axes.normalizeAll(axes, rank, "axes")) {
      reduce[a] = true;
    }
    return reduce;
  }

  private static ValueInfo reduceMean(Node n, Values v, String out) {
    ValueInfo x = in(n, 0, v);
    boolean keep = n.attributes().getInt("keepdims", 1) != 0;
    boolean[] reduce = reducedAxes(n, v, x.shape().rank());
    List<Integer> d = new ArrayList<>();
    for (int i = 0; i < reduce.length; i++) {
      if (!reduce[i]) {
        d.add(x.shape().dim(i));
      } else if (keep) {
        d.add(1);
      }
    }
    return new ValueInfo(out, x.dtype(), Shape.of(d.stream().mapToInt(Integer::intValue).toArray()));
  }
}
