package dev.braid.coordinator.routing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Where one model can be served and what one request of it costs.
 *
 * @param model the model's name
 * @param requestNanos predicted device time of one request at batch 1, > 0
 * @param replicas its replicas sorted by GPU, at most one per GPU; empty when the model is known
 *     but placed nowhere (a frontend then answers UNAVAILABLE)
 */
public record ModelRoute(String model, long requestNanos, List<ReplicaLoad> replicas) {
  public ModelRoute {
    Objects.requireNonNull(model, "model");
    if (requestNanos <= 0) {
      throw new IllegalArgumentException("requestNanos of model '" + model + "' must be > 0, got " + requestNanos);
    }
    List<ReplicaLoad> sorted = new ArrayList<>(replicas);
    sorted.sort(Comparator.comparing(ReplicaLoad::gpu));
    if (new HashSet<>(sorted.stream().map(ReplicaLoad::gpu).toList()).size() != sorted.size()) {
      throw new IllegalArgumentException("model '" + model + "' lists a GPU twice: " + replicas);
    }
    replicas = List.copyOf(sorted);
  }
}
