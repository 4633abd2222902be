package dev.braid.gpu.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Time multiplexing: one model owns the device at a time, on one stream (the most urgent), no
 * fusion. While the owner has a launch in flight only its jobs launch (its batches run back to
 * back, in urgency order, up to the stream's in-flight limit); once none is in flight the device
 * goes to the model of the most urgent ready op (earliest deadline first with aging, ties by
 * priority then admission). Two models therefore never overlap.
 */
final class TimeOnlyPolicy implements SchedulingPolicy {
  static final String NAME = "time-only";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Decision> decide(SchedulingView view) {
    int stream = view.config().streamsByPriority().get(0);
    List<OpRef> ready = view.readyOps();
    Set<String> busy = view.modelsInFlight();
    if (ready.isEmpty() || busy.size() > 1) {
      return List.of();
    }
    String owner = busy.isEmpty() ? ready.get(0).job().model() : busy.iterator().next();
    List<Decision> out = new ArrayList<>();
    int free = view.freeSlots(stream);
    for (OpRef op : ready) {
      if (out.size() >= free) {
        break;
      }
      if (op.job().model().equals(owner)) {
        out.add(Decision.single(op, stream));
      }
    }
    return out;
  }
}
