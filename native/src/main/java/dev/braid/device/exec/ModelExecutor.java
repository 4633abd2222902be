package dev.braid.device.exec;

import dev.braid.device.Device;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compiles a {@link ModelGraph} for a {@link Device}: lowers every node ({@link Lowering}),
 * uploads the constants the kernels read (into a buffer of its own, or into {@link SharedWeights}
 * shared by the model's batch sizes), and plans the per-inference arena ({@link ArenaPlan}). The
 * weights upload is asynchronous; every request of the compiled model waits for it before its
 * first op.
 */
public final class ModelExecutor {
  private ModelExecutor() {}

  /**
   * Compiles {@code graph} with weights of its own, freed by {@link CompiledModel#close()}; throws
   * {@code ModelException} naming a node that cannot be lowered.
   */
  public static CompiledModel compile(ModelGraph graph, Device device) {
    return compile(graph, device, new SharedWeights(device, graph.name()), true);
  }

  /**
   * Compiles {@code graph} reading its constants from {@code weights}, which uploads only those it
   * does not hold yet: compile one model at several batch sizes against one {@link SharedWeights}
   * and its weights are on the device once. {@link SharedWeights#close()} closes the model and
   * frees them; {@link CompiledModel#close()} only closes the model.
   */
  public static CompiledModel compile(ModelGraph graph, Device device, SharedWeights weights) {
    if (weights.device() != device) {
      throw new IllegalArgumentException("model '" + graph.name() + "': shared weights live on another device");
    }
    return compile(graph, device, weights, false);
  }

  private static CompiledModel compile(ModelGraph graph, Device device, SharedWeights weights, boolean owns) {
    Lowered lowered = Lowering.lower(graph);
    Map<String, Tensor> constants = new LinkedHashMap<>();
    Map<String, Long> sizes = new HashMap<>();
    Map<String, Integer> defined = new HashMap<>();
    Map<String, Integer> lastUse = new HashMap<>();
    for (ValueInfo in : graph.inputs()) {
      defined.put(in.name(), -1);
      sizes.put(in.name(), 4L * in.shape().size());
    }
    for (int i = 0; i < lowered.steps().size(); i++) {
      Step s = lowered.steps().get(i);
      for (int a = 0; a < s.args().size(); a++) {
        String root = lowered.root(s.args().get(a));
        Tensor c = lowered.derivedConstants().containsKey(root) ? lowered.derivedConstants().get(root)
            : graph.isConstant(root) ? graph.constant(root) : null;
        if (c != null) {
          constants.put(root, c);
        } else if (a == s.args().size() - 1) {
          defined.putIfAbsent(root, i);
          sizes.put(root, 4L * graph.shape(root).size());
          lastUse.merge(root, i, Math::max);
        } else {
          lastUse.merge(root, i, Math::max);
        }
      }
    }
    for (ValueInfo out : graph.outputs()) {
      String root = lowered.root(out.name());
      if (graph.isConstant(root)) {
        constants.put(root, graph.constant(root));
      } else {
        lastUse.put(root, Integer.MAX_VALUE);
      }
    }
    ArenaPlan arena = ArenaPlan.plan(sizes, defined, lastUse, lowered.steps().size());
    // Requests wait for the uploads: their ops may run on other streams than the default one.
    SharedWeights.Resolved resident = weights.resolve(constants);
    CompiledModel model = new CompiledModel(graph, device, lowered, weights, owns, resident.bytes(),
        resident.uploaded(), resident.slices(), arena);
    weights.register(model);
    return model;
  }
}
