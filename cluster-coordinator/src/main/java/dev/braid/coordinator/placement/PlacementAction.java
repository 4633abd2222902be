package dev.braid.coordinator.placement;

import java.util.Objects;

/** One step the coordinator asks a GPU to take so that the cluster reaches a new plan. */
public sealed interface PlacementAction {
  GpuId gpu();

  String model();

  /** Load {@code model}'s weights on {@code gpu} and start serving it there. */
  record LoadOn(GpuId gpu, String model) implements PlacementAction {
    public LoadOn {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(model, "model");
    }
  }

  /** Stop routing {@code model} to {@code gpu}, finish its in-flight work there, free its weights. */
  record UnloadFrom(GpuId gpu, String model) implements PlacementAction {
    public UnloadFrom {
      Objects.requireNonNull(gpu, "gpu");
      Objects.requireNonNull(model, "model");
    }
  }
}
