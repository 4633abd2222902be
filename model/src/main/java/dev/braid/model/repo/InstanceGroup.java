package dev.braid.model.repo;

import java.util.List;
import java.util.Objects;

/** A group of {@code count} instances per listed GPU (all GPUs when {@code gpus} is empty). */
public record InstanceGroup(String name, Kind kind, int count, List<Integer> gpus) {
  /** Triton's instance kinds. */
  public enum Kind { AUTO, GPU, CPU, MODEL }

  public InstanceGroup {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    gpus = List.copyOf(gpus);
  }
}
