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
 * Appends the float32 nodes of one quantization rewrite ({@link QuantDecompositions}) to a {@link
 * WorkGraph}, each shape-inferred and canonicalized as the binder would, and folded on the host
 * when all its inputs are constants (a dequantized constant weight becomes a float constant).
 */
final class QuantBuilder {
  private final WorkGraph g;
  private final OpEmitter e;

  QuantBuilder(Node source, WorkGraph g) {
    this.g = g;
    this.e = OpEmitter.folding(g, source.name());
  }

  String op(String op, String... inputs) {
    return add(op, null, List.of(inputs), Attributes.empty());
  }

  String opInto(String op, String out, String... inputs) {
    return add(op, out, List.of(inputs), Attributes.empty());
  }

  String opWith(String op, Attributes attrs, String... inputs) {
    return add(op, null, List.of(inputs), attrs);
  }

  String cast(String v, DType to) {
    return castInto(v, to, null);
  }

  String castInto(String v, DType to, String out) {
    return add("Cast", out, List.of(v), Attributes.of(Map.of("to", new Attribute.Int(to.onnxCode()))));
  }

  /** {@code Cast(v) - zp} in float32, with {@code zp} reshaped to {@code zpDims} when given. */
  String shifted(String v, String zp, int[] zpDims) {
    String f = cast(v, DType.FLOAT32);
    if (zp == null) {
      return f;
    }
    String z = asFloat(zp, DType.FLOAT32);
    if (zpDims != null) {
      z = reshaped(z, zpDims);
    }
    return op("Sub", f, z);
  }

  /** Dekker's split of {@code v} into a high and a low half of at most 12 significant bits each. */
  String[] split(String v) {
    String t = op("Mul", v, scalar(4097, DType.FLOAT32)); // 2^12 + 1 splits float32's 24 bits in two
    String high = op("Sub", t, op("Sub", t, v));
    return new String[] {high, op("Sub", v, high)};
  }

  /** {@code v} as float32, under {@code dims} when given. */
  String reshapedFloat(String v, int... dims) {
    String f = asFloat(v, DType.FLOAT32);
    return dims == null ? f : reshaped(f, dims);
  }

  /** All axes reduced, to a scalar. */
  String reduceAll(String op, String x) {
    int r = g.info(x).shape().rank();
    long[] axes = new long[r];
    Arrays.setAll(axes, i -> i);
    String axesName = e.constant("axes", Tensor.ofLongs(Shape.of(r), axes));
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("keepdims", new Attribute.Int(0));
    return add(op, null, List.of(x, axesName), Attributes.of(attrs));
  }

  /**
   * {@code v} (a scale or zero point: one element, or one per index of {@code axis}) as a
   * float tensor of type {@code ft} that broadcasts against a rank-{@code rank} input there.
   */
  String alongAxis(String v, int axis, int rank, DType ft) {
    String f = asFloat(v, ft);
    Shape s = g.info(f).shape();
    if (s.size() == 1 || rank == 0) {
      return s.rank() == 0 ? f : reshaped(f);
    }
    int[] dims = new int[rank - axis];
    Arrays.fill(dims, 1);
    dims[0] = s.size();
    return reshaped(f, dims);
  }

  /** {@code v} as type {@code ft}: converted on the host when constant, else a Cast node. */
  String asFloat(String v, DType ft) {
    if (g.info(v).dtype() == ft) {
      return v;
    }
    Tensor t = g.constant(v);
    if (t == null) {
      return cast(v, ft);
    }
    String c = g.fresh(v + "_as_float");
    g.addConstant(c, Tensor.ofFloats(ft, t.shape(), t.toFloats().clone()));
    return c;
  }

  String scalar(float value, DType ft) {
    return e.constant("const", Tensor.ofFloats(ft, Shape.scalar(), new float[] {value}));
  }

  /** {@code v} under a new shape: a reshaped constant, or a Reshape node. */
  private String reshaped(String v, int... dims) {
    Shape to = Shape.of(dims);
    Tensor t = g.constant(v);
    if (t != null) {
      String c = g.fresh(v + "_reshaped");
      g.addConstant(c, t.reshape(to));
      return c;
    }
    String s = e.constant("shape", Tensor.ofLongs(Shape.of(to.rank()), to.longDims()));
    return add("Reshape", null, List.of(v, s), Attributes.empty());
  }

  /** As the binder folds: a dequantized constant weight (QDQ models) becomes a float constant. */
  private String add(String op, String out, List<String> inputs, Attributes attrs) {
    return e.emit(op, out, attrs, inputs);
  }
}
