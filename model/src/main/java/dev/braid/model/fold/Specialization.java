package dev.braid.model.fold;

import dev.braid.model.Node;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.DimSpec;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The graph inputs of a model whose values define shapes or attributes ("specialization inputs"):
 * Reshape's target shape, Slice's starts, Resize's scales, a ReduceX's axes... given by the client
 * instead of stored in the model. Braid compiles static shapes, so such a model is compiled per
 * distinct value of these inputs: {@link #key} reads the values from a request, {@link #apply}
 * turns them into initializers, and the ordinary binder (shape inference, {@link HostEvaluator}'s
 * folding) then sees constants where it needs them.
 *
 * <p>An input is a specialization input when a value some operator reads as a shape ({@link
 * ShapeInputs}) depends on it through any chain of nodes, {@code Shape} and {@code Size} excepted
 * (their outputs depend only on shapes). Every such input must be small: a declared element count
 * (where its shape is fixed) of at most {@code maxElements},. Where one is not, the
 * model has no specialization inputs and binds (and is refused) as before, naming the operator and
 * its non-constant input.
 *
 * <p>Immutable; pure.
 */
public final class Specialization {
  /** The default bound on a specialization input's elements: shapes, axes and pads are rank-sized. */
  public static final int DEFAULT_MAX_ELEMENTS = 64;

  private static final Specialization NONE = new Specialization(List.of(), DEFAULT_MAX_ELEMENTS);

  private final List<TensorSpec> inputs;
  private final int maxElements;

  private Specialization(List<TensorSpec> inputs, int maxElements) {
    this.inputs = List.copyOf(inputs);
    this.maxElements = maxElements;
  }

  /** A model's specialization inputs, in the model's input order; {@link #isEmpty} when there are none. */
  public static Specialization of(ImportedModel m, int maxElements) {
    if (maxElements < 1) {
      throw new IllegalArgumentException("maxElements must be >= 1, received " + maxElements);
    }
    Set<String> graphInputs = new HashSet<>();
    m.inputs().forEach(t -> graphInputs.add(t.name()));
    Map<String, Set<String>> dependsOn = new HashMap<>();
    for (String in : graphInputs) {
      dependsOn.put(in, Set.of(in));
    }
    Set<String> wanted = new HashSet<>();
    for (Node n : m.nodes()) {
      for (int slot : ShapeInputs.of(n.opType())) {
        if (n.hasInput(slot)) {
          wanted.addAll(dependsOn.getOrDefault(n.input(slot), Set.of()));
        }
      }
      if (ShapeInputs.shapeOnly(n.opType())) {
        continue;
      }
      Set<String> deps = new HashSet<>();
      for (String in : n.inputs()) {
        deps.addAll(dependsOn.getOrDefault(in, Set.of()));
      }
      if (!deps.isEmpty()) {
        for (String out : n.outputs()) {
          dependsOn.put(out, deps);
        }
      }
    }
    List<TensorSpec> found = new ArrayList<>();
    for (TensorSpec t : m.inputs()) {
      if (!wanted.contains(t.name())) {
        continue;
      }
      if (!t.hasShape() || declaredElements(t) > maxElements) {
        return NONE;
      }
      found.add(t);
    }
    return found.isEmpty() ? NONE : new Specialization(found, maxElements);
  }

  /** The declared element count, or 0 when a dimension is not fixed (checked per request instead). */
  private static long declaredElements(TensorSpec t) {
    long n = 1;
    for (DimSpec d : t.dims()) {
      if (!d.isFixed()) {
        return 0;
      }
      n *= d.value();
    }
    return n;
  }

  public boolean isEmpty() {
    return inputs.isEmpty();
  }

  public List<TensorSpec> inputs() {
    return inputs;
  }

  public List<String> names() {
    return inputs.stream().map(TensorSpec::name).toList();
  }

  public int maxElements() {
    return maxElements;
  }

  /** True when {@code name} is a specialization input. */
  public boolean contains(String name) {
    return inputs.stream().anyMatch(t -> t.name().equals(name));
  }

  /**
   * The key of a request: the values of its specialization inputs, checked against their
   * declarations.
   *
   * @throws IllegalArgumentException naming the input and the value when one is missing, of another
   *     dtype or shape, or has more than {@code maxElements} elements
   */
  public Key key(Map<String, Tensor> request) {
    Map<String, Tensor> values = new LinkedHashMap<>();
    StringBuilder text = new StringBuilder();
    for (TensorSpec spec : inputs) {
      Tensor t = request.get(spec.name());
      if (t == null) {
        throw new IllegalArgumentException("input '" + spec.name() + "' is missing; its value defines shapes"
            + " (a specialization input), expected " + spec.dtype().onnxName() + " " + spec.dims());
      }
      if (t.dtype() != spec.dtype()) {
        throw new IllegalArgumentException("input '" + spec.name() + "' (a specialization input) expected dtype "
            + spec.dtype().onnxName() + ", received " + t.dtype().onnxName());
      }
      boolean shapeAgrees = t.shape().rank() == spec.rank();
      for (int i = 0; shapeAgrees && i < spec.rank(); i++) {
        shapeAgrees = !spec.dims().get(i).isFixed() || spec.dims().get(i).value() == t.shape().dim(i);
      }
      if (!shapeAgrees) {
        throw new IllegalArgumentException("input '" + spec.name() + "' (a specialization input) expected shape "
            + spec.dims() + ", received " + t.shape());
      }
      if (t.size() > maxElements) {
        throw new IllegalArgumentException("input '" + spec.name() + "' (a specialization input) has " + t.size()
            + " elements; expected at most " + maxElements + " (its values define shapes)");
      }
      values.put(spec.name(), t);
      text.append(text.length() == 0 ? "" : ", ").append(spec.name()).append('=').append(render(t));
    }
    return new Key(text.toString(), values);
  }

  /** {@code m} with the key's inputs turned into initializers of the key's values. */
  public ImportedModel apply(ImportedModel m, Key key) {
    Map<String, Tensor> initializers = new LinkedHashMap<>(m.initializers());
    initializers.putAll(key.values());
    List<TensorSpec> rest = m.inputs().stream().filter(t -> !key.values().containsKey(t.name())).toList();
    return new ImportedModel(m.sourceName(), m.name(), m.opsetVersion(), m.producer(), rest, m.outputs(),
        initializers, m.nodes(), m.metadata());
  }

  /** The values of a tensor as a client wrote them: {@code 3} for a scalar, {@code [2, -1]} otherwise. */
  static String render(Tensor t) {
    StringBuilder b = new StringBuilder();
    boolean scalar = t.shape().rank() == 0;
    b.append(scalar ? "" : "[");
    for (int i = 0; i < t.size(); i++) {
      b.append(i == 0 ? "" : ", ");
      b.append(t.isFloating() ? Float.toString(t.floats()[i]) : Long.toString(t.longs()[i]));
    }
    return b.append(scalar ? "" : "]").toString();
  }

  /**
   * The values of a request's specialization inputs, with their text ({@code shape=[3, 4], axes=[0]})
   * as identity: two keys are equal exactly when every value is (floats by their exact decimal form).
   */
  public record Key(String text, Map<String, Tensor> values) {
    public Key {
      Objects.requireNonNull(text, "text");
      values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.text.equals(text);
    }

    @Override
    public int hashCode() {
      return text.hashCode();
    }

    @Override
    public String toString() {
      return text;
    }
  }
}
