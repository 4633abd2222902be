package dev.braid.gpu.sched;

import java.util.List;
import java.util.Set;

/**
 * Time multiplexing: one model owns the device at a time, on one stream (the most urgent), no
 * fusion. While the owner has a launch in flight only its jobs launch (its batches run back to
 * back, in urgency order, up to the stream's in-flight limit); once none is in flight the device
 * goes to the model of the most urgent ready op (earliest deadline first with aging, ties by
 * priority then admission). Two models therefore never overlap.
 */
final class TimeOnlyPolicy extends OneStreamPolicy {
  static final String NAME = "time-only";

  TimeOnlyPolicy() {
    super(NAME);
  }

  @Override
  List<OpRef> launchable(SchedulingView view) {
    List<OpRef> ready = view.readyOps();
    Set<String> busy = view.modelsInFlight();
    if (ready.isEmpty() || busy.size() > 1) {
      return List.of();
    }
    String owner = busy.isEmpty() ? ready.get(0).job().model() : busy.iterator().next();
    return ready.stream().filter(op -> op.job().model().equals(owner)).toList();
  }
}
