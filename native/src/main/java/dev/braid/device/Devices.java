package dev.braid.device;

import dev.braid.config.DeviceSpec;
import dev.braid.config.SettingsException;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the device a {@link DeviceSpec} names. {@code auto} logs one line saying which device it
 * chose and why.
 *
 * <p>This build has the CPU and simulated devices: {@code sim-<gpu>} opens a timing-only
 * {@link SimulatedDevice} of a {@link GpuProfiles} profile; {@code cuda} fails with an error saying
 * so, and {@code auto} chooses the CPU. The CUDA device joins here.
 */
public final class Devices {
  private static final Logger LOG = LoggerFactory.getLogger(Devices.class);

  private Devices() {}

  /**
   * The device {@code spec} names; {@code cpuThreads} sizes the CPU device's pool.
   *
   * @param key where {@code spec} came from (a flag or a HOCON path), for error messages
   */
  public static Device open(String key, DeviceSpec spec, int cpuThreads) {
    return switch (spec.kind()) {
      case CPU -> new CpuDevice(cpuThreads);
      case AUTO -> {
        LOG.info("device auto: chose cpu ({} threads) because this build has no CUDA device yet", cpuThreads);
        yield new CpuDevice(cpuThreads);
      }
      case SIMULATED -> new SimulatedDevice(GpuProfiles.find(spec.profile()).orElseThrow(() -> new SettingsException(
          key + ": unknown simulated GPU '" + spec + "'; known: sim-" + String.join(", sim-", GpuProfiles.names()))));
      case CUDA -> throw new SettingsException(
          key + ": device '" + spec + "' is not available in this build (it has: auto, cpu, sim-<gpu>)");
    };
  }
}
