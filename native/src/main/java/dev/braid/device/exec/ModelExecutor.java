package dev.braid.device.exec;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Compiles a {@link ModelGraph} for a {@link Device}: lowers every node ({@link Lowering}),
 * uploads the constants the kernels read into one resident weights buffer, and plans the
 * per-inference arena ({@link ArenaPlan}). The weights upload is asynchronous; every request of
 * the compiled model waits for it before its first op.
 */
public final class ModelExecutor {
  private ModelExecutor() {}

  /** Compiles {@code graph}; throws {@code ModelException} naming a node that cannot be lowered. */
  public static CompiledModel compile(ModelGraph graph, Device device) {
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
    long weightBytes = 0;
    Map<String, Long> weightOffsets = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : constants.entrySet()) {
      weightOffsets.put(e.getKey(), weightBytes);
      weightBytes += (4L * e.getValue().size() + ArenaPlan.ALIGN_BYTES - 1) / ArenaPlan.ALIGN_BYTES * ArenaPlan.ALIGN_BYTES;
    }
    DeviceBuffer weights = device.allocate(Math.max(4, weightBytes));
    Map<String, BufferSlice> constantSlices = new HashMap<>();
    List<CompletableFuture<?>> uploads = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : constants.entrySet()) {
      BufferSlice s = weights.slice(weightOffsets.get(e.getKey()), 4L * e.getValue().size());
      constantSlices.put(e.getKey(), s);
      uploads.add(device.upload(e.getValue().toFloats(), s, device.defaultStream()).toCompletableFuture());
    }
    // Requests wait for these uploads: their ops may run on other streams than the default one.
    CompletableFuture<Void> uploaded = CompletableFuture.allOf(uploads.toArray(CompletableFuture[]::new));
    return new CompiledModel(graph, device, lowered, weights, uploaded, constantSlices, arena);
  }
}
