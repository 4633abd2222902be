package dev.braid.model;

import java.util.List;
import java.util.Objects;

/**
 * One operator application in a graph. {@code opType} is the ONNX operator name ("Conv",
 * "Gemm", ...); an empty input name marks an omitted optional input, as in ONNX.
 */
public record Node(String name, String opType, List<String> inputs, List<String> outputs, Attributes attributes) {
  public Node {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(opType, "opType");
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    Objects.requireNonNull(attributes, "attributes");
  }

  /** Input {@code i}, or the empty string when absent or omitted. */
  public String input(int i) {
    return i < inputs.size() ? inputs.get(i) : "";
  }

  /** True when optional input {@code i} is given. */
  public boolean hasInput(int i) {
    return !input(i).isEmpty();
  }

  public String output(int i) {
    return outputs.get(i);
  }

  /** "name (OpType)" for error messages. */
  public String describe() {
    return "node '" + name + "' (" + opType + ")";
  }
}
