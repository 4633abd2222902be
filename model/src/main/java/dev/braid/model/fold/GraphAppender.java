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
 * The vocabulary of {@link MiscDecompositions}' rewrites over an {@link OpEmitter} that appends
 * nodes as the model would hold them (nothing folded): reshapes, reductions over constant axes.
 */
final class GraphAppender {
  private final WorkGraph g;
  private final OpEmitter e;

  GraphAppender(Node source, WorkGraph g) {
    this.g = g;
    this.e = OpEmitter.appending(source, g);
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
    return e.emit(op, out, attrs, inputs);
  }

  /** A new constant holding {@code t}; returns its name. */
  String constant(String hint, Tensor t) {
    return e.constant(hint, t);
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
