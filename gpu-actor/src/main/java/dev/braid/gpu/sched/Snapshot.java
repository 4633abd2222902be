package dev.braid.gpu.sched;

import dev.braid.gpu.cost.CostModel;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@link SchedulingView} a scheduler hands its policy for one {@code plan} call. */
record Snapshot(
    long nowNanos,
    List<OpRef> readyOps,
    int[] freeSlotsPerStream,
    Set<String> modelsInFlight,
    SchedulerConfig config,
    CostModel cost,
    List<Arrival> arrivals,
    Map<Long, Long> readySinceByJob,
    int mostUrgentPriority,
    int lessUrgentInFlight) implements SchedulingView {

  @Override
  public int freeSlots(int stream) {
    return stream >= 0 && stream < freeSlotsPerStream.length ? freeSlotsPerStream[stream] : 0;
  }

  @Override
  public long readySinceNanos(OpRef op) {
    Long since = readySinceByJob.get(op.job().id());
    if (since == null) {
      throw new IllegalArgumentException(op + " is not a ready op of this view");
    }
    return since;
  }
}
