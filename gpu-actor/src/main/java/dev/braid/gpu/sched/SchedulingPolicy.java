package dev.braid.gpu.sched;

import java.util.List;

/**
 * Decides what a {@link SpaceTimeScheduler} launches now, where, and fused with what. A policy is
 * a pure function of the view plus, at most, its own deterministic bookkeeping; it never mutates
 * the scheduler. Each returned decision takes a free slot of its stream; launch order follows
 * list order. Obtain one by name with {@link SchedulingPolicies#named}.
 */
public interface SchedulingPolicy {
  /** The name it is selected by, e.g. {@code "space-time"}. */
  String name();

  /** What to launch now; empty when nothing should start. */
  List<Decision> decide(SchedulingView view);

  /**
   * When the policy, having left ready work unlaunched in its last {@link #decide} for a reason
   * that ends by itself (space-time's launch-path limit), wants to be asked again at the latest;
   * {@link Long#MAX_VALUE} when it does not. The scheduler folds it into {@link
   * SpaceTimeScheduler#holdWakeNanos()}.
   */
  default long wakeNanos() {
    return Long.MAX_VALUE;
  }
}
