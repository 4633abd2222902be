package dev.braid.model.onnx;

import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Tensor;
import dev.braid.model.fold.GraphBinder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An ONNX model as read from its file, before a batch size is chosen: inputs and outputs with
 * possibly symbolic dimensions, initializers, and nodes in topological order.
 *
 * <p>Invariants (established by {@link OnnxImporter}): every node is in the default domain and
 * its operator is in {@code Operators.SUPPORTED}; every node input is a graph input, an
 * initializer or the output of an earlier node; each value has one producer; {@code inputs}
 * excludes initializers. The object is immutable and may be bound at many batch sizes; binding
 * never mutates the initializers.
 *
 * @param sourceName the file (or name) the model came from, used in error messages
 * @param name the graph's name, or the file's base name when the graph has none
 * @param opsetVersion the default-domain ("" or "ai.onnx") opset version
 */
public record ImportedModel(
    String sourceName,
    String name,
    int opsetVersion,
    String producer,
    List<TensorSpec> inputs,
    List<TensorSpec> outputs,
    Map<String, Tensor> initializers,
    List<Node> nodes,
    Map<String, String> metadata) {

  public ImportedModel {
    Objects.requireNonNull(sourceName, "sourceName");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(producer, "producer");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
    nodes = List.copyOf(nodes);
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** The declared input with this name, or null. */
  public TensorSpec input(String inputName) {
    return find(inputs, inputName);
  }

  /** The declared output with this name, or null. */
  public TensorSpec output(String outputName) {
    return find(outputs, outputName);
  }

  /** True when at least one input has a dynamic (symbolic or unknown) first dimension. */
  public boolean hasDynamicBatch() {
    return inputs.stream().anyMatch(TensorSpec::hasDynamicFirstDim);
  }

  /** Binds every dynamic first dimension to {@code batchSize}; see {@link #bind(int, Map)}. */
  public ModelGraph bind(int batchSize) {
    return bind(batchSize, Map.of());
  }

  /**
   * Resolves every shape statically at {@code batchSize}, with other symbolic dimensions taken
   * from {@code dimParams} by name, then infers shapes, folds constants, Identity, Dropout and
   * BatchNormalization, and drops unused nodes.
   *
   * @throws dev.braid.model.ModelException when a dimension does not resolve or shapes disagree
   */
  public ModelGraph bind(int batchSize, Map<String, Integer> dimParams) {
    return GraphBinder.bind(this, batchSize, dimParams);
  }

  /**
   * Binds a model that does not batch at its declared shapes, dynamic dimensions fixed by {@code
   * fixedDims} (per input, full dims with -1 for none); see {@link GraphBinder#bindDeclared}.
   *
   * @throws dev.braid.model.ModelException when a dimension stays dynamic or shapes disagree
   */
  public ModelGraph bindDeclared(Map<String, long[]> fixedDims) {
    return GraphBinder.bindDeclared(this, fixedDims);
  }

  private static TensorSpec find(List<TensorSpec> specs, String name) {
    for (TensorSpec s : specs) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    return null;
  }
}
