package dev.braid.model.onnx;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks a graph's wiring and orders its nodes topologically. Each value must have exactly one
 * source (a graph input, an initializer or one node output); every node input must name a known
 * value; the graph must be acyclic. The result keeps the file's order wherever that order is
 * already valid (a stable Kahn sort), so ordered files come back unchanged.
 */
final class GraphOrder {
  private GraphOrder() {}

  /**
   * @param sources graph inputs and initializers, which are available before any node runs
   */
  static List<Node> sort(List<Node> nodes, Set<String> sources, String source) {
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      for (String out : n.outputs()) {
        if (out.isEmpty()) {
          continue;
        }
        if (sources.contains(out)) {
          throw new ModelException(source + ": value '" + out + "' is produced by " + n.describe()
              + " but is also a graph input or initializer; each value must have exactly one producer");
        }
        Integer previous = producer.put(out, i);
        if (previous != null) {
          throw new ModelException(source + ": value '" + out + "' is produced twice, by "
              + nodes.get(previous).describe() + " and by " + n.describe()
              + "; each value must have exactly one producer");
        }
      }
    }
    int[] pending = new int[nodes.size()];
    List<List<Integer>> consumers = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      consumers.add(new ArrayList<>());
    }
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      for (String in : n.inputs()) {
        if (in.isEmpty() || sources.contains(in)) {
          continue;
        }
        Integer p = producer.get(in);
        if (p == null) {
          throw new ModelException(source + ": " + n.describe() + " reads value '" + in
              + "', which is not a graph input, an initializer, or the output of any node");
        }
        pending[i]++;
        consumers.get(p).add(i);
      }
    }
    // A min-heap on the original index keeps the file's order among ready nodes.
    PriorityQueue<Integer> ready = new PriorityQueue<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (pending[i] == 0) {
        ready.add(i);
      }
    }
    List<Node> ordered = new ArrayList<>(nodes.size());
    while (!ready.isEmpty()) {
      int i = ready.poll();
      ordered.add(nodes.get(i));
      for (int c : consumers.get(i)) {
        if (--pending[c] == 0) {
          ready.add(c);
        }
      }
    }
    if (ordered.size() != nodes.size()) {
      Set<String> stuck = new TreeSet<>();
      for (int i = 0; i < nodes.size(); i++) {
        if (pending[i] > 0) {
          stuck.add(nodes.get(i).name());
        }
      }
      throw new ModelException(source + ": the graph has a cycle; these nodes wait on each other: " + stuck);
    }
    return ordered;
  }
}
