package dev.braid.model.onnx;

import dev.braid.model.ModelException;
import dev.braid.model.Node;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Rejects uses of the optional outputs Braid does not compute: the training outputs of
 * BatchNormalization. (Dropout's mask is computed, as a constant of ones: see fold.ElementwiseCanon;
 * LayerNormalization's Mean and InvStdDev are computed: the binder decomposes a LayerNormalization
 * that declares them; MaxPool's Indices run as their own kernel.) BatchNormalization computes only
 * its first output; the others may be
 * declared but must not be read by a node or be a graph output.
 */
final class UnusedOutputs {
  private UnusedOutputs() {}

  static void check(List<Node> nodes, List<TensorSpec> outputs, String source) {
    Set<String> used = new HashSet<>();
    for (Node n : nodes) {
      used.addAll(n.inputs());
    }
    for (TensorSpec o : outputs) {
      used.add(o.name());
    }
    for (Node n : nodes) {
      if (!n.opType().equals("BatchNormalization")) {
        continue;
      }
      for (int i = 1; i < n.outputs().size(); i++) {
        String out = n.output(i);
        if (!out.isEmpty() && used.contains(out)) {
          throw new ModelException(source + ": " + n.describe() + " output " + i + " ('" + out
              + "') is used, but Braid computes only the first output of " + n.opType()
              + " (inference mode); the others must be unused");
        }
      }
    }
  }
}
