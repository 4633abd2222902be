package dev.braid.gpu.sched;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The invariants of {@link SpaceTimeScheduler} checked on every policy decision before anything of
 * it is recorded (see that class's comment); a violation is a policy bug and throws, naming the
 * policy, the decision and the rule. Pure: reads the scheduler's jobs, changes nothing.
 */
final class DecisionCheck {
  private DecisionCheck() {}

  /**
   * @param free per stream, the launches it could take before the decision
   * @param jobs the scheduler's jobs by id
   */
  static void check(List<Decision> decisions, int[] free, long nowNanos, SchedulerConfig config,
      Map<Long, JobState> jobs, String policy) {
    int[] used = new int[free.length];
    Set<Long> jobsUsed = new HashSet<>();
    for (Decision d : decisions) {
      // The message names every op (and so its job and plan): built only for a policy bug.
      if (d.ops().isEmpty() || d.ops().size() > config.maxOpsPerSuperKernel()) {
        throw new IllegalStateException(where(policy, d) + "a launch needs 1 to " + config.maxOpsPerSuperKernel()
            + " ops");
      }
      if (d.isHold()) {
        if (!config.holds() || d.holdUntilNanos() <= nowNanos) {
          throw new IllegalStateException(where(policy, d) + "a hold must end after now (" + nowNanos
              + ") and holding must be on (maxHold " + config.maxHold() + ")");
        }
      } else if (d.stream() < 0 || d.stream() >= free.length || ++used[d.stream()] > free[d.stream()]) {
        throw new IllegalStateException(where(policy, d) + "the stream has no free slot");
      }
      for (OpRef o : d.ops()) {
        JobState s = jobs.get(o.job().id());
        if (s == null || s.job != o.job() || s.inFlight() || s.cancelled || s.nextOp != o.opIndex()
            || !jobsUsed.add(o.job().id())) {
          throw new IllegalStateException(where(policy, d) + o + " is not a ready op (or is used twice)");
        }
        if ((d.ops().size() > 1 || d.isHold())
            && (o.fusionKey().isEmpty() || !o.fusionKey().equals(d.ops().get(0).fusionKey()))) {
          throw new IllegalStateException(where(policy, d) + "only ops with equal fusion keys may share a launch or a hold");
        }
        if (d.isHold() && d.holdUntilNanos() - s.readySinceNanos > config.maxHold().toNanos()) {
          throw new IllegalStateException(where(policy, d) + o + " became ready at " + s.readySinceNanos
              + " and may be held until " + (s.readySinceNanos + config.maxHold().toNanos()) + " at most");
        }
      }
    }
  }

  private static String where(String policy, Decision d) {
    return "policy '" + policy + "' decided " + d.ops()
        + (d.isHold() ? " held until " + d.holdUntilNanos() : " on stream " + d.stream()) + ": ";
  }
}
