package dev.braid.coordinator.cluster;

import dev.braid.coordinator.events.NodeEvents;
import dev.braid.coordinator.placement.Reconciler;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The {@code placement} event of one reconcile: the models it touched and what it sent, when it sent anything. */
final class PlacementEvents {
  private PlacementEvents() {}

  static void emit(NodeEvents events, long tableVersion, List<Reconciler.Step> steps) {
    if (steps.isEmpty() || !events.enabled()) {
      return;
    }
    Set<String> models = new TreeSet<>();
    List<String> actions = new ArrayList<>(steps.size());
    for (Reconciler.Step step : steps) {
      if (step instanceof Reconciler.Step.Load l) {
        models.add(l.model());
        actions.add("load " + l.model() + " on " + step.gpu());
      } else if (step instanceof Reconciler.Step.Unload u) {
        models.add(u.model());
        actions.add("unload " + u.model() + " from " + step.gpu());
      } else {
        actions.add("drain " + step.gpu());
      }
    }
    events.placement(tableVersion, models, actions);
  }
}
