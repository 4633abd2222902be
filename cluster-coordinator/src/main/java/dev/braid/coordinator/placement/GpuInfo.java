package dev.braid.coordinator.placement;

import dev.braid.device.GpuSpec;
import java.util.Objects;
import java.util.Optional;

/**
 * What the coordinator knows of one GPU: its memory, its hardware limits and whether it may take
 * models.
 *
 * <p>Lifecycle: {@code HEALTHY -> DRAINING -> (removed)}, or {@code HEALTHY -> (removed)} when its
 * node dies. Only a {@code HEALTHY} GPU receives replicas; a {@code DRAINING} one keeps serving
 * what it has until its models have been loaded elsewhere, then unloads them.
 *
 * @param id which GPU
 * @param name the device's name for logs, e.g. "NVIDIA H100 80GB HBM3"
 * @param memoryBytes the device's capacity, > 0
 * @param spec the hardware limits, empty for the CPU or simulated devices without a profile
 * @param state whether it may take replicas
 */
public record GpuInfo(GpuId id, String name, long memoryBytes, Optional<GpuSpec> spec, State state) {
  /** Whether a GPU may take replicas. */
  public enum State {
    /** Serving and accepting new replicas. */
    HEALTHY,
    /** Still serving what it has; receives nothing new; its replicas are moved off. */
    DRAINING
  }

  public GpuInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(state, "state");
    if (memoryBytes <= 0) {
      throw new IllegalArgumentException("GpuInfo.memoryBytes of " + id + " must be > 0, got " + memoryBytes);
    }
  }

  /** A healthy GPU without a hardware profile. */
  public static GpuInfo healthy(GpuId id, long memoryBytes) {
    return new GpuInfo(id, id.toString(), memoryBytes, Optional.empty(), State.HEALTHY);
  }

  public GpuInfo withState(State newState) {
    return new GpuInfo(id, name, memoryBytes, spec, newState);
  }
}
