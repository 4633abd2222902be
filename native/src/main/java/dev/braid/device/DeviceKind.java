package dev.braid.device;

/** What executes a device's kernels. */
public enum DeviceKind {
  /** Host reference math ({@code CpuDevice}). */
  CPU,
  /** An NVIDIA GPU driven through the CUDA driver API. */
  CUDA,
  /** A timing model that does no math. */
  SIMULATED
}
