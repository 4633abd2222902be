package dev.braid.gpu.sched;

import dev.braid.gpu.cost.CostModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Sizes one super-kernel for {@link SpaceTimePolicy}: starting from the lead op, it takes
 * candidates (same fusion key, in urgency order) while all of these hold, skipping a candidate
 * that breaks one and trying the next:
 *
 * <ol>
 *   <li>the group has fewer than {@link SchedulerConfig#maxOpsPerSuperKernel()} ops;
 *   <li>on a GPU, the members' grids together fill at most {@link
 *       SchedulerConfig#superKernelWaves()} waves ({@link CostModel#waves}); the lead alone may
 *       exceed it;
 *   <li>no member that would meet its deadline running alone now misses it in the group: for each
 *       such member, {@code predictGroupNanos(group) <= deadline - now - remainingAfter(member)}.
 *       Members already late alone do not constrain the group.
 * </ol>
 */
final class SuperKernelSizer {
  private SuperKernelSizer() {}

  static List<OpRef> size(OpRef lead, List<OpRef> candidates, SchedulingView view) {
    SchedulerConfig config = view.config();
    CostModel cost = view.cost();
    boolean gpu = cost.gpu().isPresent();
    List<OpRef> members = new ArrayList<>(List.of(lead));
    CostModel.GroupEstimate group = cost.group();
    group.add(lead.planOp());
    double waves = cost.waves(lead.op());
    long tightestSlack = feasibleSlack(lead, view);
    for (OpRef c : candidates) {
      if (members.size() >= config.maxOpsPerSuperKernel()) {
        break;
      }
      double cWaves = cost.waves(c.op());
      if (gpu && waves + cWaves > config.superKernelWaves()) {
        continue;
      }
      long slack = Math.min(tightestSlack, feasibleSlack(c, view));
      if (group.nanosWith(c.planOp()) > slack) {
        continue;
      }
      group.add(c.planOp());
      members.add(c);
      waves += cWaves;
      tightestSlack = slack;
    }
    return members;
  }

  /**
   * Time the op may take without its job missing its deadline, if running it alone now would
   * meet the deadline; {@link Long#MAX_VALUE} (no constraint) if the job is late anyway.
   */
  private static long feasibleSlack(OpRef op, SchedulingView view) {
    CostModel cost = view.cost();
    long slack = op.job().deadlineNanos() - view.nowNanos()
        - cost.predictRemainingNanos(op.job().plan(), op.opIndex() + 1);
    long alone = cost.predictOpNanos(op.job().plan(), op.opIndex());
    return alone <= slack ? slack : Long.MAX_VALUE;
  }
}
