package dev.braid.model.fold;

import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.List;
import java.util.Map;

/**
 * Appends the nodes of one rewrite of a source node to a {@link WorkGraph}: each new node is
 * shape-inferred and canonicalized exactly as the binder would have done had the model held it,
 * so a rewrite can only produce nodes Braid already lowers. Names derive from the source node's;
 * values written other than the source's own outputs are fresh.
 */
final class GraphAppender {
  private final Node source;
  private final WorkGraph g;
  private int count;

  GraphAppender(Node source, WorkGraph g) {
    this.source = source;
    this.g = g;
  }

  /** A new node {@code op(inputs)} without attributes writing a fresh value; returns its name. */
  String op(String op, String... inputs) {
    return into(null, op, Map.of(), inputs);
  }

  /**
   * A new node {@code op(inputs)} with {@code attrs} writing {@code out} (a fresh value when null);
   * returns the name written.
   */
  String into(String out, String op, Map<String, Attribute> attrs, String... inputs) {
    String name = out != null ? out : g.fresh(source.name() + "_" + op.toLowerCase());
    Node node = new Node(source.name() + "/" + op + "_" + count++, op, List.of(inputs), List.of(name),
        Attributes.of(attrs));
    ValueInfo info = ShapeInference.infer(node, g);
    g.values.put(info.name(), info);
    Canonicalizer.append(node, g);
    return name;
  }

  /** A new constant holding {@code t}; returns its name. */
  String constant(String hint, Tensor t) {
    String c = g.fresh(source.name() + "_" + hint);
    g.addConstant(c, t);
    return c;
  }

  /** {@code v} reshaped to {@code shape} into {@code out} (fresh when null). */
  String reshape(String out, String v, Shape shape) {
    String s = constant("shape", Tensor.ofLongs(Shape.of(shape.rank()), shape.longDims()));
    return into(out, "Reshape", Map.of(), v, s);
  }

  /** The element type of value {@code v}. */
  DType dtypeOf(String v) {
    return g.info(v).dtype();
  }

  /** A reduction of {@code x} over {@code axes} (normalized) into {@code out} (fresh when null). */
  String reduce(String out, String op, String x, int[] axes, boolean keepdims) {
    long[] a = new long[axes.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = axes[i];
    }
    String axesName = constant("axes", Tensor.ofLongs(Shape.of(a.length), a));
    return into(out, op, Map.of("keepdims", new Attribute.Int(keepdims ? 1 : 0)), x, axesName);
  }
}
