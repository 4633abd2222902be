package dev.braid.gpu.sched;

import dev.braid.gpu.cost.CostModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Hold to fuse, for {@link SpaceTimePolicy}: whether a group of ready ops that could launch now
 * should instead wait for partners, ops of other jobs with the same fusion key that are expected
 * to become ready soon ({@link SchedulingView#arrivals()}: the op after one in flight, or a later
 * op of a job that is behind, which is how instances of one architecture fall into step). Pure.
 *
 * <p>The group {@code G} waits until {@code T}, the expected arrival of the last partner of
 * {@code P} (the arrivals taken, in order of arrival), for the largest {@code T} at which all of
 * these hold, with {@code d(X)} the cost model's duration of one launch of {@code X}:
 *
 * <ol>
 *   <li><b>bounded:</b> {@code T <= readySince(m) + maxHold} for every member {@code m}, so no op
 *       waits longer than {@link SchedulerConfig#maxHold()} for partners, however often it is held
 *       again;
 *   <li><b>no member misses a deadline it would meet:</b> for every member that would meet its
 *       deadline launching alone now ({@code now + d(m) + after(m) <= deadline}, {@code after}
 *       being its later ops alone back to back), {@code T + d(G + P) <= now + SLACK_SHARE *
 *       (deadline - after(m) - now)}. The hold then leaves it able to meet its deadline from
 *       {@code T} on, even if the partners do not come and it launches alone then ({@code d(m) <=
 *       d(G + P)}), and spends at most {@link #SLACK_SHARE} of its slack: the rest is left for
 *       waiting on stream slots and for later holds, which the check cannot foresee;
 *   <li><b>fusing pays:</b> the fused launch at {@code T} finishes the whole group no later than
 *       launching {@code G} now and {@code P} on arrival: {@code T + d(G + P) <= max(now + d(G), T
 *       + d(P))}. Then the hold saves a launch (its host time and a stream slot) and costs only
 *       the members' own slack;
 *   <li>the fused group stays within {@link SchedulerConfig#maxOpsPerSuperKernel()} and, on a GPU,
 *       {@link SchedulerConfig#superKernelWaves()} waves (partners that would break it are skipped).
 * </ol>
 *
 * <p>No arrival of the key, or none in time, means no hold: an op never waits when no partner can
 * come. Partners themselves are protected when they arrive: {@link SuperKernelSizer} admits no
 * member into a group that would make it miss a deadline it would meet alone.
 */
final class HoldRule {
  /**
   * The share of a member's slack a hold may spend. Under contention a job also waits for stream
   * slots after the hold, which a prediction of its ops alone does not see; at the benchmark's
   * default load spending all of it made 11 of 10594 jobs late, half of it keeps that margin.
   */
  static final double SLACK_SHARE = 0.5;

  private HoldRule() {}

  /**
   * A hold: wait until {@code untilNanos} for {@code partners}.
   */
  record Hold(long untilNanos, List<Arrival> partners) {}

  /**
   * When {@code group} (ready ops of one key, sized to launch now, the most urgent first) should
   * launch instead of now and for which partners, or null to launch now.
   *
   * @param arrivals the arrivals with the group's key the group may wait for, by expected time
   */
  static Hold hold(List<OpRef> group, List<Arrival> arrivals, SchedulingView view) {
    SchedulerConfig config = view.config();
    CostModel cost = view.cost();
    boolean gpu = cost.gpu().isPresent();
    long now = view.nowNanos();
    if (arrivals.isEmpty() || group.size() >= config.maxOpsPerSuperKernel()) {
      return null;
    }
    double waves = 0;
    long limit = Long.MAX_VALUE;
    long latestEnd = Long.MAX_VALUE;
    Set<Long> jobs = new HashSet<>();
    CostModel.GroupEstimate members = cost.group();
    for (OpRef m : group) {
      waves += cost.waves(m.op());
      limit = Math.min(limit, view.readySinceNanos(m) + config.maxHold().toNanos());
      latestEnd = Math.min(latestEnd, latestEnd(m, view));
      jobs.add(m.job().id());
      members.add(m.planOp());
    }
    if (gpu && waves >= config.superKernelWaves()) {
      return null;
    }
    long groupNow = members.nanos();
    CostModel.GroupEstimate partners = cost.group();
    List<Arrival> taken = new ArrayList<>();
    Hold best = null;
    for (Arrival a : arrivals) {
      long t = a.etaNanos();
      if (t > limit || members.size() >= config.maxOpsPerSuperKernel()) {
        break;
      }
      double w = cost.waves(a.op().op());
      if (t <= now || jobs.contains(a.op().job().id()) || (gpu && waves + w > config.superKernelWaves())) {
        continue;
      }
      waves += w;
      members.add(a.op().planOp());
      partners.add(a.op().planOp());
      taken.add(a);
      long fused = members.nanos();
      if (t + fused > latestEnd) {
        break; // a later end only finishes later
      }
      if (t + fused <= Math.max(now + groupNow, t + partners.nanos())) {
        best = new Hold(t, List.copyOf(taken));
      }
    }
    return best;
  }

  /**
   * The latest time member {@code m}'s op may end when held: {@link #SLACK_SHARE} of the way from
   * now to its deadline less its later ops alone, if launching it alone now meets the deadline;
   * else unconstrained ({@link Long#MAX_VALUE}), since it would miss anyway.
   */
  private static long latestEnd(OpRef m, SchedulingView view) {
    CostModel cost = view.cost();
    long after = cost.predictRemainingNanos(m.job().plan(), m.opIndex() + 1);
    long deadline = m.job().deadlineNanos();
    boolean wouldMeet = view.nowNanos() + cost.predictOpNanos(m.job().plan(), m.opIndex()) + after <= deadline;
    long now = view.nowNanos();
    return wouldMeet ? now + (long) (SLACK_SHARE * (deadline - after - now)) : Long.MAX_VALUE;
  }
}
