package dev.braid.device.plan;

import dev.braid.device.exec.Lowered;
import dev.braid.device.exec.Lowering;
import dev.braid.device.exec.Step;
import dev.braid.model.ModelGraph;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compiles a bound model into its {@link KernelPlan}: one {@link KernelOp} per lowered step, in
 * the lowering's order, with launch geometry from {@link KernelGeometry} and fusion key from
 * {@link FusionKeys}.
 *
 * <p>Dependencies follow storage: an op depends on the ops that wrote the values it reads, after
 * resolving no-copy views ({@link Lowered#aliases()}) to the value that owns the storage. Graph
 * inputs, constants and derived constants have no producer. Invariant: every {@code dependsOn}
 * entry is lower than the op's index, sorted and distinct.
 */
public final class KernelPlanner {
  private KernelPlanner() {}

  /** The plan of one inference of {@code graph} at the batch size it is bound to. */
  public static KernelPlan plan(ModelGraph graph) {
    Lowered lowered = Lowering.lower(graph);
    Map<String, Integer> producer = new HashMap<>();
    List<KernelOp> ops = new ArrayList<>(lowered.steps().size());
    for (Step step : lowered.steps()) {
      int index = ops.size();
      TreeSet<Integer> deps = new TreeSet<>();
      List<String> args = step.args();
      for (int i = 0; i < args.size() - step.kernel().outputCount(); i++) {
        Integer p = producer.get(lowered.root(args.get(i)));
        if (p != null) {
          deps.add(p);
        }
      }
      ops.add(new KernelOp(index, step.node(), step.kernel(), List.copyOf(deps),
          KernelGeometry.of(step.kernel()), FusionKeys.of(step.kernel())));
      producer.put(lowered.root(step.output()), index);
    }
    return new KernelPlan(graph.name(), graph.batchSize(), ops);
  }
}
