package dev.braid.gpu.sched;

import dev.braid.gpu.cost.CostModel;
import java.util.List;
import java.util.Set;

/**
 * What a {@link SchedulingPolicy} sees when asked what to launch: a read-only snapshot of the
 * scheduler at one instant. Valid only during the {@link SchedulingPolicy#decide} call.
 */
public interface SchedulingView {
  long nowNanos();

  /**
   * The next op of every job that has no op in flight, in urgency order: aged jobs first (oldest
   * admission first), then the most urgent priority level (0 first), earliest deadline, earlier
   * admission, lower job id.
   */
  List<OpRef> readyOps();

  /**
   * The positions in {@link #readyOps()} of the ready ops whose fusion key and priority level are
   * those of the op at {@code position} (itself included), ascending, so in urgency order; empty
   * when that op has no fusion key. The scheduler indexes ready ops by key as they become ready,
   * so a policy finds an op's fusion partners without a pass over every ready op. The array is
   * the scheduler's: not to be modified.
   */
  int[] fusionPartners(int position);

  /**
   * The position in {@link #readyOps()} of the most urgent op of the largest set of ready ops that
   * share a fusion key and priority level {@code priority} (ties: the set whose most urgent op
   * comes first), or -1 when no op of that level with a fusion key is ready. Its {@link
   * #fusionPartners} are that set.
   */
  int largestFusionBucketLead(int priority);

  /** Launches stream {@code stream} can take now without exceeding its in-flight limit. */
  int freeSlots(int stream);

  /** Models with at least one launch in flight. */
  Set<String> modelsInFlight();

  SchedulerConfig config();

  CostModel cost();

  /**
   * The ops with a fusion key that are expected to become ready within {@link
   * SchedulerConfig#maxHold()} from now, at most {@link SpaceTimeScheduler#LOOKAHEAD_OPS} per job,
   * by expected time then job id; empty when holding is off. Ready ops are not among them.
   */
  List<Arrival> arrivals();

  /** When op {@code op} (a ready op) became ready: its job's admission or its previous op's end. */
  long readySinceNanos(OpRef op);

  /**
   * The most urgent priority level (lowest {@link Job#priority()}) among all the scheduler's jobs,
   * waiting or in flight; {@link Integer#MAX_VALUE} when it holds none.
   */
  int mostUrgentPriority();

  /**
   * How far the host's launch path is booked ahead of now by the launches planned so far, by the
   * scheduler's estimate ({@link CostModel#hostNanos} per launch, one after another); 0 when it
   * is expected idle.
   */
  long launchPathBacklogNanos();

  /** Launches in flight whose jobs are of a less urgent level than {@link #mostUrgentPriority()}. */
  int lessUrgentInFlight();
}
