package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
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
 * Appends the nodes that one rewritten node becomes to a {@link WorkGraph}, each shape-inferred
 * and canonicalized exactly as the binder would have done had the model held it, so a rewrite can
 * only produce nodes Braid already lowers: the one node emitter of every rewrite ({@link
 * RecurrentDecompositions}, {@link EinsumDecomposition}, {@link Decompositions}, {@link
 * LossDecompositions}, {@link QuantDecompositions}, {@link MiscDecompositions}). Node names derive
 * from the source node's ({@code source/Op_n}); values written other than the source's own
 * outputs are fresh.
 *
 * <p>Two choices per rewrite: whether a node whose inputs are all constants is folded on the host
 * ({@link HostEvaluator}), so that constant weights are transposed, sliced or dequantized once at
 * load rather than on every request; and whether fresh names carry the running count (an unrolled
 * sequence makes thousands of values of one base name, and the count keeps {@code fresh()} to one
 * lookup each).
 *
 * <p>Every operator it emits is written in the input form of the newest opsets (Slice's bounds,
 * ReduceSum's axes as constant inputs), which the shape inference reads whatever the model's opset.
 */
final class OpEmitter {
  private final WorkGraph g;
  private final String prefix;
  private final DType dtype;
  private final boolean counted;
  private final boolean fold;
  private int count;

  /**
   * A folding emitter with counted names for the rewrite of {@code source}; scalars it makes have
   * element type {@code dtype}.
   */
  OpEmitter(Node source, WorkGraph g, DType dtype) {
    this(g, source.name(), dtype, true, true);
  }

  private OpEmitter(WorkGraph g, String prefix, DType dtype, boolean counted, boolean fold) {
    this.g = g;
    this.prefix = prefix;
    this.dtype = dtype;
    this.counted = counted;
    this.fold = fold;
  }

  /** An emitter that folds nothing, its names {@code <source>_<op>}: nodes as the model would hold them. */
  static OpEmitter appending(Node source, WorkGraph g) {
    return new OpEmitter(g, source.name(), null, false, false);
  }

  /** A folding emitter whose names are {@code <prefix>_<op>}. */
  static OpEmitter folding(WorkGraph g, String prefix) {
    return new OpEmitter(g, prefix, null, false, true);
  }

  WorkGraph graph() {
    return g;
  }

  /** A new node {@code op(inputs)} writing a fresh value; returns its name. */
  String op(String op, String... inputs) {
    return emit(op, null, Map.of(), inputs);
  }

  /** A new node {@code op(inputs)} with attributes, writing {@code out} (fresh when null). */
  String emit(String op, String out, Map<String, Attribute> attrs, String... inputs) {
    return append(op, out, Attributes.of(attrs), List.of(inputs), false);
  }

  /** A new node {@code op(inputs)} with attributes, writing {@code out} (fresh when null). */
  String emit(String op, String out, Attributes attrs, List<String> inputs) {
    return append(op, out, attrs, inputs, false);
  }

  /**
   * A new node already in its canonical form (e.g. LogSoftmax with its axis explicit, which the
   * canonicalizer would read with the model's opset): appended as it is, unless folded.
   */
  String emitCanonical(String op, String out, Map<String, Attribute> attrs, String... inputs) {
    return append(op, out, Attributes.of(attrs), List.of(inputs), true);
  }

  private String append(String op, String out, Attributes attrs, List<String> inputs, boolean canonical) {
    String name = out != null ? out : g.fresh(prefix + "_" + op.toLowerCase() + (counted ? "_" + count : ""));
    Node node = new Node(prefix + "/" + op + "_" + count++, op, inputs, List.of(name), attrs);
    ValueInfo info = ShapeInference.infer(node, g);
    g.values.put(info.name(), info);
    List<Tensor> constants = new ArrayList<>();
    boolean allConstant = fold && HostEvaluator.FOLDABLE.contains(op);
    for (String in : inputs) {
      Tensor t = in.isEmpty() ? null : g.constant(in);
      allConstant &= in.isEmpty() || t != null;
      constants.add(t);
    }
    if (allConstant) {
      g.addConstant(name, HostEvaluator.evaluate(node, constants, info, g));
    } else if (canonical) {
      g.nodes.add(node);
    } else {
      Canonicalizer.append(node, g);
    }
    return name;
  }

  /** A constant holding {@code t}, named after {@code base}. */
  String constant(String base, Tensor t) {
    String c = g.fresh(prefix + "_" + base + (counted ? "_" + count++ : ""));
    g.addConstant(c, t);
    return c;
  }

  /** A scalar of the emitter's element type. */
  String scalar(float v) {
    return constant("const", Tensor.ofFloats(dtype, Shape.scalar(), new float[] {v}));
  }

  /** Zeros of the emitter's element type. */
  String zeros(int... dims) {
    return constant("zeros", Tensor.ofFloats(dtype, Shape.of(dims), new float[Shape.of(dims).size()]));
  }

  /** A 1-D INT64 constant. */
  String longs(long... values) {
    return constant("i64", Tensor.ofLongs(Shape.of(values.length), values));
  }

  /** {@code x[index]} along {@code axis}, that axis removed. */
  String gather(String x, int axis, long index) {
    String i = constant("index", Tensor.ofLongs(Shape.scalar(), new long[] {index}));
    return emit("Gather", null, Map.of("axis", new Attribute.Int(axis)), x, i);
  }

  /** {@code x[from:to]} along {@code axis}. */
  String slice(String x, int axis, int from, int to) {
    return op("Slice", x, longs(from), longs(to), longs(axis));
  }

  String reshape(String x, int... dims) {
    return reshapeInto(x, null, dims);
  }

  String reshapeInto(String x, String out, int... dims) {
    return emit("Reshape", out, Map.of(), x, longs(Arrays.stream(dims).asLongStream().toArray()));
  }

  /** {@code x} transposed by {@code perm}; {@code x} itself when {@code perm} is the identity and {@code out} null. */
  String transpose(String x, String out, int... perm) {
    boolean identity = true;
    for (int i = 0; i < perm.length; i++) {
      identity &= perm[i] == i;
    }
    if (identity && out == null) {
      return x;
    }
    return emit("Transpose", out, Map.of("perm", new Attribute.Ints(Arrays.stream(perm).asLongStream().toArray())), x);
  }

  /** {@code inputs} joined along {@code axis}. */
  String concat(String out, int axis, List<String> inputs) {
    return emit("Concat", out, Map.of("axis", new Attribute.Int(axis)), inputs.toArray(String[]::new));
  }

  /** The sum of {@code x} over {@code axes}, those axes removed. */
  String reduceSum(String x, int... axes) {
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("keepdims", new Attribute.Int(0));
    return emit("ReduceSum", null, attrs, x, longs(Arrays.stream(axes).asLongStream().toArray()));
  }

  Shape shape(String value) {
    return g.info(value).shape();
  }
}
