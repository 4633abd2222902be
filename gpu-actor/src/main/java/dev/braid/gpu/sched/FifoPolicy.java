package dev.braid.gpu.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference baseline: one stream (the most urgent), ready ops in job arrival order, no fusion.
 * Ignores deadlines and priorities, so tests and benchmarks can show what the real policies add.
 */
final class FifoPolicy implements SchedulingPolicy {
  static final String NAME = "fifo";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Decision> decide(SchedulingView view) {
    int stream = view.config().streamsByPriority().get(0);
    List<OpRef> ready = new ArrayList<>(view.readyOps());
    ready.sort(Urgency.arrival());
    List<Decision> out = new ArrayList<>();
    for (int i = 0; i < ready.size() && i < view.freeSlots(stream); i++) {
      out.add(Decision.single(ready.get(i), stream));
    }
    return out;
  }
}
