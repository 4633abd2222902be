package dev.braid.coordinator.placement;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which GPUs host a replica of which model, with a version that grows by one with every change.
 *
 * <p>Invariants: models are iterated by name and each model's replicas by {@link GpuId}; a model
 * has at most one replica per GPU; a model listed has at least one replica.
 *
 * @param version 0 for the empty plan; each plan that differs from its predecessor has version + 1
 * @param replicas model name to the GPUs hosting it
 */
public record PlacementPlan(long version, SortedMap<String, List<GpuId>> replicas) {
  public static final PlacementPlan EMPTY = new PlacementPlan(0, new TreeMap<>());

  public PlacementPlan {
    if (version < 0) {
      throw new IllegalArgumentException("PlacementPlan.version must be >= 0, got " + version);
    }
    Objects.requireNonNull(replicas, "replicas");
    TreeMap<String, List<GpuId>> copy = new TreeMap<>();
    for (Map.Entry<String, List<GpuId>> e : replicas.entrySet()) {
      TreeSet<GpuId> gpus = new TreeSet<>(e.getValue());
      if (gpus.size() != e.getValue().size()) {
        throw new IllegalArgumentException("model '" + e.getKey() + "' lists a GPU twice: " + e.getValue());
      }
      if (!gpus.isEmpty()) {
        copy.put(e.getKey(), List.copyOf(gpus));
      }
    }
    replicas = Collections.unmodifiableSortedMap(copy);
  }

  /** The GPUs hosting {@code model}, in {@link GpuId} order; empty when it is not placed. */
  public List<GpuId> replicasOf(String model) {
    return replicas.getOrDefault(model, List.of());
  }

  /** The models with a replica on {@code gpu}, by name. */
  public List<String> modelsOn(GpuId gpu) {
    List<String> models = new ArrayList<>();
    replicas.forEach((m, gpus) -> {
      if (gpus.contains(gpu)) {
        models.add(m);
      }
    });
    return models;
  }

  public boolean hosts(String model, GpuId gpu) {
    return replicasOf(model).contains(gpu);
  }
}
