package dev.braid.gpu.sched;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Spatial multiplexing, as CUDA streams or MPS give: each model on its own stream, every ready op
 * launched as soon as its stream has a free slot, no fusion. Models get streams round-robin in the
 * order this policy first sees them (stream indices in configuration order), so the mapping is a
 * function of the job sequence; with more models than streams, streams are shared and serve their
 * models' ops in urgency order. The mapping lives as long as the policy instance.
 */
final class SpaceOnlyPolicy implements SchedulingPolicy {
  static final String NAME = "space-only";

  private final Map<String, Integer> streamOfModel = new HashMap<>();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Decision> decide(SchedulingView view) {
    int streams = view.config().streamCount();
    int[] used = new int[streams];
    List<Decision> out = new ArrayList<>();
    for (OpRef op : view.readyOps()) {
      int stream = streamOfModel.computeIfAbsent(op.job().model(), m -> streamOfModel.size() % streams);
      if (used[stream] < view.freeSlots(stream)) {
        used[stream]++;
        out.add(Decision.single(op, stream));
      }
    }
    return out;
  }

  /** The stream {@code model} was given, or -1 when it has not been seen. */
  int streamOf(String model) {
    return streamOfModel.getOrDefault(model, -1);
  }
}
