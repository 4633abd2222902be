package dev.braid.device.sim;

import dev.braid.device.GpuSpec;
import java.util.Objects;

/**
 * One GPU the {@link SimulatedDevice} imitates: its hardware limits ({@link GpuSpec}, from spec
 * sheets and the CUDA compute capability table), memory, L2, host link, and the
 * {@link TimingParameters} that calibrate the timing model. Sources are cited in
 * {@link GpuProfiles}.
 *
 * @param name the short name used in {@code sim-<name>}, lower case
 * @param marketingName what {@code nvidia-smi} would call it
 * @param spec SM count and per-SM limits, FP32 peak, HBM bandwidth, resident-kernel limit, clock
 * @param memoryBytes device memory capacity
 * @param l2CacheBytes L2 cache size (informational: the model assumes reuse within a kernel hits L2)
 * @param pcieBytesPerSecond achieved host-device copy bandwidth per direction
 * @param timing calibration parameters
 */
public record GpuProfile(
    String name, String marketingName, GpuSpec spec, long memoryBytes, long l2CacheBytes,
    double pcieBytesPerSecond, TimingParameters timing) {
  public GpuProfile {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(marketingName, "marketingName");
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(timing, "timing");
    if (memoryBytes <= 0 || l2CacheBytes <= 0 || !(pcieBytesPerSecond > 0)) {
      throw new IllegalArgumentException("memory, L2 and PCIe bandwidth must be > 0 in profile " + name);
    }
  }

  /** FP32 peak of one SM in FLOP/s. */
  public double smPeakFlopsPerSecond() {
    return spec.peakFp32FlopsPerSecond() / spec.smCount();
  }

  /** A copy with other timing parameters, for calibration. */
  public GpuProfile withTiming(TimingParameters newTiming) {
    return new GpuProfile(name, marketingName, spec, memoryBytes, l2CacheBytes, pcieBytesPerSecond, newTiming);
  }
}
