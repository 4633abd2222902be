package dev.braid.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The graph IR with every shape static: what a model is at one batch size, after import, shape
 * inference, constant folding and BatchNormalization folding.
 *
 * <p>Invariants: {@code nodes} are in topological order; every node input is a graph input, a
 * constant, or an output of an earlier node; {@link #info(String)} answers for every value (graph
 * inputs, constants and node outputs); no node computes only from constants (those were folded
 * into {@code constants}); every node's operator is in {@link Operators#SUPPORTED}.
 */
public final class ModelGraph {
  private final String name;
  private final int batchSize;
  private final List<ValueInfo> inputs;
  private final List<ValueInfo> outputs;
  private final Map<String, Tensor> constants;
  private final List<Node> nodes;
  private final Map<String, ValueInfo> values;

  public ModelGraph(
      String name,
      int batchSize,
      List<ValueInfo> inputs,
      List<ValueInfo> outputs,
      Map<String, Tensor> constants,
      List<Node> nodes,
      Map<String, ValueInfo> values) {
    this.name = name;
    this.batchSize = batchSize;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.constants = Collections.unmodifiableMap(new LinkedHashMap<>(constants));
    this.nodes = List.copyOf(nodes);
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  public String name() {
    return name;
  }

  /** The batch size the shapes were resolved for (1 for models without a batch dimension). */
  public int batchSize() {
    return batchSize;
  }

  public List<ValueInfo> inputs() {
    return inputs;
  }

  public List<ValueInfo> outputs() {
    return outputs;
  }

  /** Initializers and folded constants by value name (weights included). */
  public Map<String, Tensor> constants() {
    return constants;
  }

  public boolean isConstant(String value) {
    return constants.containsKey(value);
  }

  public Tensor constant(String value) {
    Tensor t = constants.get(value);
    if (t == null) {
      throw new IllegalArgumentException("value '" + value + "' is not a constant of model '" + name + "'");
    }
    return t;
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** Every value's dtype and shape by name. */
  public Map<String, ValueInfo> values() {
    return values;
  }

  public ValueInfo info(String value) {
    ValueInfo v = values.get(value);
    if (v == null) {
      throw new IllegalArgumentException("model '" + name + "' has no value named '" + value + "'");
    }
    return v;
  }

  public Shape shape(String value) {
    return info(value).shape();
  }

  /** Total bytes of float32 constants: what a device must hold resident for this model. */
  public long constantBytes() {
    long b = 0;
    for (Tensor t : constants.values()) {
      b += (long) t.size() * (t.isFloating() ? 4 : 8);
    }
    return b;
  }
}
