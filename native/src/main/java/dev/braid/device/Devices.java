package dev.braid.device;

import dev.braid.config.DeviceSpec;
import dev.braid.config.SettingsException;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.cuda.CudaDevice;
import dev.braid.device.cuda.CudaEmulator;
import dev.braid.device.cuda.CudaProbe;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the device a {@link DeviceSpec} names. {@code auto} logs one line saying which device it
 * chose and why.
 *
 * <p>{@code cuda} / {@code cuda:N} opens a {@link CudaDevice} or fails with a
 * {@link SettingsException} "device 'cuda:N' unavailable: why"; {@code auto} takes CUDA GPU 0 when
 * the driver loads and a GPU answers, else the CPU ({@link DeviceChoice}); {@code sim-<gpu>} opens
 * a timing-only {@link SimulatedDevice} of a {@link GpuProfiles} profile.
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
      case AUTO -> auto(cpuThreads);
      case SIMULATED -> new SimulatedDevice(GpuProfiles.find(spec.profile()).orElseThrow(() -> new SettingsException(
          key + ": unknown simulated GPU '" + spec + "'; known: sim-" + String.join(", sim-", GpuProfiles.names()))));
      case CUDA -> {
        if (spec.emulated()) {
          CudaEmulator.request();
        }
        yield cuda(key, spec.ordinal());
      }
    };
  }

  private static Device cuda(String key, int ordinal) {
    CudaProbe.Result probe = CudaProbe.probe(ordinal);
    if (!probe.available()) {
      throw new SettingsException(key + ": device 'cuda:" + ordinal + "' unavailable: " + probe.reason());
    }
    try {
      return CudaDevice.open(ordinal);
    } catch (DeviceException e) {
      throw new SettingsException(key + ": " + e.getMessage());
    }
  }

  private static Device auto(int cpuThreads) {
    DeviceChoice choice = DeviceChoice.auto(CudaProbe.probe(0), cpuThreads);
    if (choice.kind() == DeviceKind.CUDA) {
      try {
        Device d = CudaDevice.open(0);
        LOG.info(choice.logLine());
        return d;
      } catch (RuntimeException e) {
        choice = DeviceChoice.afterOpenFailure(cpuThreads, e.getMessage());
      }
    }
    LOG.info(choice.logLine());
    return new CpuDevice(cpuThreads);
  }
}
