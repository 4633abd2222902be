package dev.braid.gpu.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import dev.braid.device.plan.FusionKey;

/**
 * Space-time scheduling: take the ready ops of all jobs in urgency order (earliest deadline first
 * with aging); the most urgent op not yet placed leads a group of the later ready ops with an
 * equal {@link FusionKey}, sized by {@link SuperKernelSizer} (ops without a key run alone); the
 * groups, in the order of their leads, take the free stream slots in round-robin over the streams
 * by priority, so the most urgent group gets the most urgent stream and the next groups run beside
 * it on the others before any stream queues a second launch. Stops when no slot is left.
 */
final class SpaceTimePolicy implements SchedulingPolicy {
  static final String NAME = "space-time";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Decision> decide(SchedulingView view) {
    List<Integer> slots = slots(view);
    List<OpRef> ready = view.readyOps();
    boolean[] placed = new boolean[ready.size()];
    List<Decision> out = new ArrayList<>();
    for (int i = 0; i < ready.size() && out.size() < slots.size(); i++) {
      if (placed[i]) {
        continue;
      }
      OpRef lead = ready.get(i);
      placed[i] = true;
      List<OpRef> group = List.of(lead);
      Optional<FusionKey> key = lead.fusionKey();
      if (key.isPresent() && view.config().maxOpsPerSuperKernel() > 1) {
        List<OpRef> candidates = new ArrayList<>();
        List<Integer> candidateIndices = new ArrayList<>();
        for (int j = i + 1; j < ready.size(); j++) {
          if (!placed[j] && ready.get(j).fusionKey().equals(key)) {
            candidates.add(ready.get(j));
            candidateIndices.add(j);
          }
        }
        group = SuperKernelSizer.size(lead, candidates, view);
        for (int c = 0; c < candidates.size(); c++) {
          if (group.contains(candidates.get(c))) {
            placed[candidateIndices.get(c)] = true;
          }
        }
      }
      out.add(new Decision(group, slots.get(out.size())));
    }
    return out;
  }

  /** Free slots as stream indices: one round over the streams by priority, then the next round. */
  private static List<Integer> slots(SchedulingView view) {
    List<Integer> byPriority = view.config().streamsByPriority();
    List<Integer> slots = new ArrayList<>();
    for (int round = 0; round < view.config().maxLaunchesInFlightPerStream(); round++) {
      for (int stream : byPriority) {
        if (view.freeSlots(stream) > round) {
          slots.add(stream);
        }
      }
    }
    return slots;
  }
}
