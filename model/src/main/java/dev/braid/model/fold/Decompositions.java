package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
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

/**
 * Rewrites the normalizations without a kernel of their own into reductions and elementwise
 * operators that have one, following each operator's ONNX definition (its function body where it
 * has one), so they run wherever those kernels run:
 *
 * <ul>
 *   <li>InstanceNormalization: per (n, c), {@code (x - mean) / sqrt(var + eps) * scale[c] + B[c]};
 *   <li>MeanVarianceNormalization: {@code (x - mean) / (sqrt(var) + 1e-9)} over {@code axes}
 *       (default [0, 2, 3]);
 *   <li>LpNormalization: {@code x / ReduceLp(x, axis)}, p 1 or 2;
 *   <li>GroupNormalization: the instance normalization of {@code [N, G, C/G * spatial]}, then scale
 *       and bias per group (opset 18-20) or per channel (opset 21 on);
 *   <li>GlobalMaxPool: ReduceMax over the spatial axes, kept;
 *   <li>LayerNormalization declaring its Mean or InvStdDev output: the mean, the inverse standard
 *       deviation and the result as separate nodes (the fused kernel computes only the result).
 * </ul>
 *
 * Variances are the mean of squared deviations (two passes), never {@code E[x^2] - E[x]^2}.
 */
final class Decompositions {
  private Decompositions() {}

  /** Whether {@code n} is rewritten here rather than kept as one node. */
  static boolean applies(Node n) {
    return switch (n.opType()) {
      case "InstanceNormalization", "MeanVarianceNormalization", "LpNormalization", "GroupNormalization",
          "GlobalMaxPool" -> true;
      case "LayerNormalization" -> n.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty());
      default -> false;
    };
  }

  static void append(Node n, WorkGraph g) {
    Builder b = new Builder(n, g);
    ValueInfo x = g.info(n.input(0));
    int r = x.shape().rank();
    switch (n.opType()) {
      case "InstanceNormalization" -> {
        ShapeInference.requireRank(x, 3, Integer.MAX_VALUE, "input");
        String norm = b.standardize(n.input(0), range(2, r), n.attributes().getFloat("epsilon", 1e-5f), null, null);
        int[] perChannel = ones(r - 1);
        perChannel[0] = x.shape().dim(1);
        String scaled = b.op("Mul", norm, b.reshaped(n.input(1), perChannel));
        b.opInto("Add", n.output(0), scaled, b.reshaped(n.input(2), perChannel));
      }
      case "MeanVarianceNormalization" -> {
        long[] axes = n.attributes().getInts("axes", new long[] {0, 2, 3});
        int[] ax = Axes.normalizeAll(axes, r, "attribute 'axes'");
        String mean = b.reduce("ReduceMean", n.input(0), ax);
        String d = b.op("Sub", n.input(0), mean);
        String var = b.reduce("ReduceMean", b.op("Mul", d, d), ax);
        String std = b.op("Add", b.op("Sqrt", var), b.scalar(1e-9f));
        b.opInto("Div", n.output(0), d, std);
      }
      case "LpNormalization" -> {
        long p = n.attributes().getInt("p", 2);
        if (p != 1 && p != 2) {
          throw new ModelException("attribute 'p' must be 1 or 2, got " + p);
        }
        int axis = Axes.normalize(n.attributes().getInt("axis", -1), r, "attribute 'axis'");
        String norm = b.reduce(p == 1 ? "ReduceL1" : "ReduceL2", n.input(0), new int[] {axis});
        b.opInto("Div", n.output(0), n.input(0), norm);
      }
      case "GroupNormalization" -> groupNorm(n, g, b, x);
      case "GlobalMaxPool" -> {
        ShapeInference.requireRank(x, 3, Integer.MAX_VALUE, "input X");
        b.reduceInto("ReduceMax", n.input(0), range(2, r), n.output(0));
      }
      case "LayerNormalization" -> {
        int axis = Axes.normalize(n.attributes().getInt("axis", -1), r, "attribute 'axis'");
        String mean = n.outputs().size() > 1 && !n.output(1).isEmpty() ? n.output(1) : null;
        String inv = n.outputs().size() > 2 && !n.output(2).isEmpty() ? n.output(2) : null;
        String norm = b.standardize(n.input(0), range(axis, r), n.attributes().getFloat("epsilon", 1e-5f), mean, inv);
        if (n.hasInput(2)) {
          b.opInto("Add", n.output(0), b.op("Mul", norm, n.input(1)), n.input(2));
        } else {
          b.opInto("Mul", n.output(0), norm, n.input(1));
        }
      }
      default -> throw new IllegalArgumentException("no decomposition for " + n.opType());
    }
  }

  private static void groupNorm(Node n, WorkGraph g, Builder b, ValueInfo x) {
    ShapeInference.requireRank(x, 3, Integer.MAX_VALUE, "input X");
    int r = x.shape().rank(), c = x.shape().dim(1);
    long groups = n.attributes().getInt("num_groups");
    if (groups < 1 || c % groups != 0) {
      throw new ModelException("attribute 'num_groups' " + groups + " must divide the " + c + " channels");
    }
    int gr = (int) groups;
    String grouped = b.reshape(n.input(0), x.shape().dim(0), gr, x.shape().size() / x.shape().dim(0) / gr);
    String norm = b.standardize(grouped, new int[] {2}, n.attributes().getFloat("epsilon", 1e-5f), null, null);
    if (g.opset() < 21) {
      // Opset 18-20: scale and bias have one value per group.
      String scaled = b.op("Mul", norm, b.reshaped(n.input(1), gr, 1));
      String shifted = b.op("Add", scaled, b.reshaped(n.input(2), gr, 1));
      b.reshapeInto(shifted, x.shape(), n.output(0));
    } else {
      int[] perChannel = ones(r - 1);
      perChannel[0] = c;
      String back = b.reshape(norm, x.shape().dims());
      b.opInto("Add", n.output(0), b.op("Mul", back, b.reshaped(n.input(1), perChannel)), b.reshaped(n.input(2), perChannel));
    }
  }

  private static int[] range(int from, int to) {
    int[] a = new int[to - from];
    Arrays.setAll(a, i -> from + i);
    return a;
  }

  private static int[] ones(int n) {
    int[] a = new int[n];
    Arrays.fill(a, 1);
    return a;
  }

  /** Appends the nodes of one decomposition, each shape-inferred and canonicalized as the binder would. */
  private static final class Builder {
    private final WorkGraph g;
    private final OpEmitter e;
    private final String dtypeOf;

    Builder(Node source, WorkGraph g) {
      this.g = g;
      this.e = OpEmitter.appending(source, g);
      this.dtypeOf = source.input(0);
    }

    /** A new node {@code op(inputs)} writing a fresh value; returns its name. */
    String op(String op, String... inputs) {
      return opInto(op, null, inputs);
    }

    /** A new node {@code op(inputs)} writing {@code out} (fresh when null). */
    String opInto(String op, String out, String... inputs) {
      return add(op, out, List.of(inputs), Map.of());
    }

    private String add(String op, String out, List<String> inputs, Map<String, Attribute> attrs) {
      return e.emit(op, out, Attributes.of(attrs), inputs);
    }

    String reduce(String op, String x, int[] axes) {
      return reduceInto(op, x, axes, null);
    }

    String reduceInto(String op, String x, int[] axes, String out) {
      Map<String, Attribute> attrs = new LinkedHashMap<>();
      attrs.put("keepdims", new Attribute.Int(1));
      String axesName = e.constant("axes", Tensor.ofLongs(Shape.of(axes.length), Arrays.stream(axes).asLongStream().toArray()));
      return add(op, out, List.of(x, axesName), attrs);
    }

    /** A scalar constant of the source's element type. */
    String scalar(float v) {
      return e.constant("const", Tensor.ofFloats(g.info(dtypeOf).dtype(), Shape.scalar(), new float[] {v}));
    }

    /**
     * {@code (x - mean) / sqrt(var + eps)} over {@code axes}; the mean and the inverse standard
     * deviation are written to {@code meanOut} and {@code invOut} when those are given.
     */
    String standardize(String x, int[] axes, float eps, String meanOut, String invOut) {
      String mean = reduceInto("ReduceMean", x, axes, meanOut);
      String d = op("Sub", x, mean);
      String var = reduce("ReduceMean", op("Mul", d, d), axes);
      String std = op("Sqrt", op("Add", var, scalar(eps)));
      if (invOut == null) {
        return op("Div", d, std);
      }
      String inv = opInto("Div", invOut, scalar(1f), std);
      return op("Mul", d, inv);
    }

    /** {@code v} under a new shape: a reshaped constant, or a Reshape node. */
    String reshaped(String v, int... dims) {
      Tensor t = g.constant(v);
      if (t != null) {
        if (t.size() != Shape.of(dims).size()) {
          throw new ModelException("'" + v + "' " + t.shape() + " must have " + Shape.of(dims).size() + " elements");
        }
        String c = g.fresh(v + "_reshaped");
        g.addConstant(c, t.reshape(Shape.of(dims)));
        return c;
      }
      return reshape(v, dims);
    }

    String reshape(String v, int... dims) {
      return reshapeInto(v, Shape.of(dims), null);
    }

    String reshapeInto(String v, Shape shape, String out) {
      String s = e.constant("shape", Tensor.ofLongs(Shape.of(shape.rank()), shape.longDims()));
      return add("Reshape", out, List.of(v, s), Map.of());
    }
  }
}
