package dev.braid.device;

import dev.braid.device.cuda.CudaProbe;

/**
 * What {@code --device auto} decides, and the one line it logs saying which device and why. Pure:
 * the CUDA probe's outcome comes in, so the decision is tested without a GPU.
 *
 * @param kind CUDA or CPU
 * @param ordinal the CUDA ordinal (0 for the CPU)
 * @param logLine the line {@link Devices} logs at INFO, e.g.
 *     {@code device auto: chose cpu (2 threads): no CUDA driver (libcuda.so.1 not found)}
 */
public record DeviceChoice(DeviceKind kind, int ordinal, String logLine) {
  /** The automatic choice given the probe of GPU 0. */
  public static DeviceChoice auto(CudaProbe.Result probe, int cpuThreads) {
    if (probe.available()) {
      boolean emulated = probe.gpuName().startsWith(dev.braid.device.cuda.CudaEmulator.DEVICE_NAME);
      return new DeviceChoice(DeviceKind.CUDA, 0, "device auto: chose cuda:0 (" + probe.gpuName() + "): the "
          + (emulated ? "emulated " : "") + "CUDA driver " + driver(probe.driverVersion())
          + (emulated ? "(asked for by BRAID_CUDA_EMULATOR=1; Braid's kernels on the CPU, not a GPU) " : "") + "answered with " + probe.deviceCount() + " GPU" + (probe.deviceCount() == 1 ? "" : "s"));
    }
    return cpu(cpuThreads, probe.reason());
  }

  /** The fallback when the probe succeeded but opening the GPU then failed. */
  public static DeviceChoice afterOpenFailure(int cpuThreads, String why) {
    return cpu(cpuThreads, "cuda:0 failed to open: " + why);
  }

  private static DeviceChoice cpu(int cpuThreads, String why) {
    return new DeviceChoice(DeviceKind.CPU, 0, "device auto: chose cpu (" + cpuThreads + " threads): " + why);
  }

  private static String driver(int version) {
    return version <= 0 ? "" : version / 1000 + "." + version % 1000 / 10 + " ";
  }
}
