package dev.braid.coordinator.placement;

import java.util.List;
import java.util.Objects;

/**
 * A new plan, the steps that lead to it from the previous one, and what could not be satisfied.
 *
 * <p>Order of {@link #actions}: first unloads that free memory (models no longer wanted, surplus
 * or no-longer-fitting replicas), then loads, then unloads of replicas that moved or sit on a
 * draining GPU, so a moved model keeps a serving replica throughout. Every load fits its GPU once
 * the unloads before it are done. Within each group, actions are sorted by model, then GPU.
 *
 * @param plan the plan to publish; the same object as the input plan when nothing changed
 * @param actions steps from the previous plan to {@code plan}; empty when nothing changed
 * @param shortfalls every model that got less than it asked for, by model name
 */
public record PlacementResult(PlacementPlan plan, List<PlacementAction> actions, List<Shortfall> shortfalls) {
  public PlacementResult {
    Objects.requireNonNull(plan, "plan");
    actions = List.copyOf(actions);
    shortfalls = List.copyOf(shortfalls);
  }

  public boolean changed() {
    return !actions.isEmpty();
  }
}
