package dev.braid.gpu.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * What the single-stream baselines ({@link TimeOnlyPolicy}, {@link FifoPolicy}) share: every launch
 * goes to one stream (the most urgent), unfused, and the ops a subclass chooses launch in its order
 * until that stream has no free slot. A subclass says only which ready ops may launch and in what
 * order.
 */
abstract class OneStreamPolicy implements SchedulingPolicy {
  private final String name;

  OneStreamPolicy(String name) {
    this.name = name;
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final List<Decision> decide(SchedulingView view) {
    int stream = view.config().streamsByPriority().get(0);
    int free = view.freeSlots(stream);
    List<Decision> out = new ArrayList<>();
    for (OpRef op : launchable(view)) {
      if (out.size() >= free) {
        break;
      }
      out.add(Decision.single(op, stream));
    }
    return out;
  }

  /** The ready ops that may launch now, in launch order; as many as the stream has free slots go. */
  abstract List<OpRef> launchable(SchedulingView view);
}
