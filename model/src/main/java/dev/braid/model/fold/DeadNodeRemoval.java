package dev.braid.model.fold;

import dev.braid.model.Node;
import java.util.HashSet;
import java.util.Set;

/**
 * Drops nodes whose outputs reach no graph output, then constants and value infos nothing reads.
 * Graph inputs and outputs always keep their infos.
 */
final class DeadNodeRemoval {
  private DeadNodeRemoval() {}

  static void apply(WorkGraph g) {
    Set<String> live = new HashSet<>(g.outputs);
    for (int i = g.nodes.size() - 1; i >= 0; i--) {
      Node n = g.nodes.get(i);
      if (n.outputs().stream().anyMatch(live::contains)) {
        live.addAll(n.outputs());
        live.addAll(n.inputs());
      } else {
        g.nodes.remove(i);
      }
    }
    g.constants.keySet().retainAll(live);
    g.values.keySet().removeIf(v -> !live.contains(v) && !g.inputs.contains(v));
  }
}
