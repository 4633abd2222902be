package dev.braid.model.fold;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The mutable graph one {@link GraphBinder#bind} call works on; never shared, never escapes (the
 * binder copies it into an immutable {@code ModelGraph}). Holds nodes in topological order,
 * constants (the model's initializers, by reference, and folded values), every value's info and
 * the names of the graph outputs, which rewrites must keep.
 */
final class WorkGraph implements Values {
  final String source;
  final int opset;
  final List<Node> nodes = new ArrayList<>();
  final Map<String, Tensor> constants = new LinkedHashMap<>();
  final Map<String, ValueInfo> values = new LinkedHashMap<>();
  final Set<String> outputs = new LinkedHashSet<>();
  final Set<String> inputs = new LinkedHashSet<>();

  WorkGraph(String source, int opset) {
    this.source = source;
    this.opset = opset;
  }

  @Override
  public ValueInfo info(String name) {
    ValueInfo v = values.get(name);
    if (v == null) {
      throw new ModelException("value '" + name + "' is unknown");
    }
    return v;
  }

  @Override
  public Tensor constant(String name) {
    return constants.get(name);
  }

  @Override
  public int opset() {
    return opset;
  }

  void addConstant(String name, Tensor t) {
    constants.put(name, t);
    values.put(name, new ValueInfo(name, t.dtype(), t.shape()));
  }

  /** A value name based on {@code base} that no value uses yet. */
  String fresh(String base) {
    String name = base;
    for (int i = 1; values.containsKey(name) || inputs.contains(name); i++) {
      name = base + "_" + i;
    }
    return name;
  }

  /** How many node inputs read {@code value} (a node reading it twice counts twice). */
  int consumers(String value) {
    int c = 0;
    for (Node n : nodes) {
      for (String in : n.inputs()) {
        if (in.equals(value)) {
          c++;
        }
      }
    }
    return c;
  }

  /** The index of the node producing {@code value}, or -1. */
  int producer(String value) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).outputs().contains(value)) {
        return i;
      }
    }
    return -1;
  }

  /** Makes every node read {@code to} where it read {@code from}. */
  void renameUses(String from, String to) {
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      if (n.inputs().contains(from)) {
        List<String> ins = new ArrayList<>(n.inputs());
        ins.replaceAll(s -> s.equals(from) ? to : s);
        nodes.set(i, new Node(n.name(), n.opType(), ins, n.outputs(), n.attributes()));
      }
    }
  }
}
