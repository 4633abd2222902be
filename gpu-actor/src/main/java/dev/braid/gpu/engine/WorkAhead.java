package dev.braid.gpu.engine;

import dev.braid.gpu.cost.CostModel;

/**
 * What the cost model predicts of an engine's work, for admission control and routing: the device
 * time still needed by the work it holds, and when a new request would finish behind it. Reads the
 * engine's models and jobs; confined to the engine's thread.
 */
final class WorkAhead {
  private final CostModel cost;
  private final ModelTable models;
  private final Jobs jobs;

  WorkAhead(CostModel cost, ModelTable models, Jobs jobs) {
    this.cost = cost;
    this.models = models;
    this.jobs = jobs;
  }

  /**
   * When a batch-1 request of {@code model} submitted at {@code nowNanos} would finish: {@code now
   * + work ahead + its own ops}, the work ahead being {@link #queueNanos()}. Space-time overlaps
   * that work, so this errs late, which suits admission control. It does not add the batcher's
   * queue delay.
   *
   * @throws IllegalArgumentException if the model is not loaded
   */
  long finishNanos(String model, long nowNanos) {
    return cost.predictFinishNanos(nowNanos, servingSlot(model).plan(1), 0, queueNanos());
  }

  /**
   * Device time of one batch-1 request of {@code model} with the device to itself: its ops at
   * batch 1 back to back (measured where measured, else the roofline).
   *
   * @throws IllegalArgumentException if the model is not loaded
   */
  long requestNanos(String model) {
    return cost.predictRemainingNanos(servingSlot(model).plan(1), 0);
  }

  /**
   * Device time the work held still needs: the predicted remaining time of every started batch
   * plus one batch-1 run per model with requests queued, all taken as running back to back.
   */
  long queueNanos() {
    long ahead = jobs.predictRemainingNanos();
    for (ModelSlot s : models.all()) {
      if (s.ready && s.batcher.size() > 0) {
        ahead += cost.predictRemainingNanos(s.plan(1), 0);
      }
    }
    return ahead;
  }

  private ModelSlot servingSlot(String model) {
    ModelSlot slot = models.serving(model);
    if (slot == null) {
      throw new IllegalArgumentException("model '" + model + "' is not loaded; loaded models: " + models.names());
    }
    return slot;
  }
}
