package dev.braid.gpu.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference baseline: one stream (the most urgent), ready ops in job arrival order, no fusion.
 * Ignores deadlines and priorities, so tests and benchmarks can show what the real policies add.
 */
final class FifoPolicy extends OneStreamPolicy {
  static final String NAME = "fifo";

  FifoPolicy() {
    super(NAME);
  }

  @Override
  List<OpRef> launchable(SchedulingView view) {
    List<OpRef> ready = new ArrayList<>(view.readyOps());
    ready.sort(Urgency.arrival());
    return ready;
  }
}
