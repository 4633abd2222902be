package dev.braid.model.fold;

import dev.braid.model.Attributes;
import dev.braid.model.Node;
import java.util.List;

/**
 * Removes Identity and (inference-mode) Dropout nodes by rewiring: consumers of the output read
 * the input instead. When the output is a graph output, its declared name must survive: the
 * producer of the input is renamed to produce it directly, unless the input is itself a graph
 * input, a constant or another graph output; then one Identity node stays (a Dropout becomes
 * Identity).
 */
final class IdentityRemoval {
  private IdentityRemoval() {}

  static void apply(WorkGraph g) {
    for (int i = 0; i < g.nodes.size(); ) {
      Node n = g.nodes.get(i);
      if (!n.opType().equals("Identity") && !n.opType().equals("Dropout")) {
        i++;
        continue;
      }
      String x = n.input(0);
      String y = n.output(0);
      if (!g.outputs.contains(y)) {
        g.nodes.remove(i);
        g.renameUses(y, x);
        g.values.remove(y);
        continue;
      }
      int p = g.producer(x);
      if (p >= 0 && !g.outputs.contains(x)) {
        Node producer = g.nodes.get(p);
        List<String> outs = producer.outputs().stream().map(o -> o.equals(x) ? y : o).toList();
        g.nodes.set(p, new Node(producer.name(), producer.opType(), producer.inputs(), outs, producer.attributes()));
        g.nodes.remove(i);
        g.renameUses(x, y);
        g.values.remove(x);
        continue;
      }
      if (n.opType().equals("Dropout") || n.inputs().size() > 1) {
        g.nodes.set(i, new Node(n.name(), "Identity", List.of(x), List.of(y), Attributes.empty()));
      }
      i++;
    }
  }
}
