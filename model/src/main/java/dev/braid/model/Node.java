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
  /** This node with attribute {@code name} set to {@code value} (added, or replacing the one it had). */
  public Node withAttribute(String name, Attribute value) {
    java.util.Map<String, Attribute> attrs = new java.util.LinkedHashMap<>(attributes.asMap());
    attrs.put(name, value);
    return new Node(this.name, opType, inputs, outputs, Attributes.of(attrs));
  }

  /** This node without the attributes {@code names}; itself when it has none of them. */
  public Node withoutAttributes(String... names) {
    java.util.Map<String, Attribute> attrs = new java.util.LinkedHashMap<>(attributes.asMap());
    boolean changed = false;
    for (String a : names) {
      changed |= attrs.remove(a) != null;
    }
    return changed ? new Node(name, opType, inputs, outputs, Attributes.of(attrs)) : this;
  }

  public String describe() {
    return "node '" + name + "' (" + opType + ")";
  }
}
