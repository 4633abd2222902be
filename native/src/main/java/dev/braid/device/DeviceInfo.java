package dev.braid.device;

import java.util.Objects;
import java.util.Optional;

/**
 * What a device is: a name for logs, its kind, the memory it offers, and for GPUs the hardware
 * limits the scheduler plans super-kernels against (empty for the CPU).
 *
 * @param name human-readable, e.g. "cpu (2 threads)" or "NVIDIA H100 80GB HBM3"
 * @param kind what executes the kernels
 * @param memoryBytes the capacity {@link Device#allocate} draws from; positive
 * @param gpu the GPU's limits, present only for GPU-backed devices
 */
public record DeviceInfo(String name, DeviceKind kind, long memoryBytes, Optional<GpuSpec> gpu) {
  public DeviceInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(gpu, "gpu");
    if (memoryBytes <= 0) {
      throw new IllegalArgumentException("memoryBytes must be > 0, got " + memoryBytes);
    }
  }
}
