package dev.braid.device.cuda;

import dev.braid.device.GpuSpec;

/**
 * Builds a {@link GpuSpec} from the values {@code cuDeviceGetAttribute} reports. Pure, so the
 * arithmetic is tested without a GPU.
 *
 * <p>Peak FP32 = SMs x FP32 lanes per SM x 2 (an FMA is two FLOPs) x SM clock; memory bandwidth =
 * memory clock x bus width / 8 x 2 (double data rate, as {@code cudaDeviceProp}'s derived figures
 * assume). For an H100 SXM (132 SMs, 1980 MHz, 2619 MHz memory clock, 5120-bit bus) these give
 * 66.9 TFLOP/s and 3.35 TB/s, NVIDIA's datasheet figures.
 */
public final class GpuSpecs {
  /**
   * Kernels that may run concurrently on one device: 128 for compute capability 6.0 and later
   * (CUDA Programming Guide, "Maximum number of resident grids per device"; 32 for older parts and
   * for the embedded 5.3/6.2/7.2/8.7 chips, which Braid does not target and which get 128 here).
   */
  static final int RESIDENT_GRIDS = 128;
  static final int RESIDENT_GRIDS_BEFORE_6 = 32;
  /**
   * Used when the driver reports no SM clock (0 or an error; newer drivers deprecate the clock
   * attributes): 1.5 GHz, between an A100's 1.41 and an H100's 1.98 GHz boost clocks.
   */
  static final long FALLBACK_CLOCK_KHZ = 1_500_000;
  /** Used when the driver reports no memory clock or bus width: 2 TB/s, an A100 80GB's bandwidth. */
  static final double FALLBACK_BANDWIDTH_BYTES_PER_SECOND = 2.0e12;

  private GpuSpecs() {}

  /**
   * FP32 lanes ("CUDA cores") per SM by compute capability, from the CUDA Programming Guide's
   * arithmetic-throughput table: Kepler 192, Maxwell 128, GP100 64, other Pascal 128, Volta and
   * Turing 64, GA100 64, other Ampere and Ada 128, Hopper 128, Blackwell 128. Unknown newer
   * majors assume 128, the figure of every generation since Ampere's consumer parts.
   */
  public static int fp32LanesPerSm(int major, int minor) {
    return switch (major) {
      case 3 -> 192;
      case 5 -> 128;
      case 6 -> minor == 0 ? 64 : 128;
      case 7 -> 64;
      case 8 -> minor == 0 ? 64 : 128;
      default -> major < 3 ? 32 : 128;
    };
  }

  /** Whether {@link #of} had to use a fallback: the driver reported no clock, memory clock or bus width. */
  public static boolean clocksMissing(long clockKhz, long memoryClockKhz, int busWidthBits) {
    return clockKhz <= 0 || memoryClockKhz <= 0 || busWidthBits <= 0;
  }

  /**
   * The spec; a clock or bus width the driver did not report (0) is replaced by
   * {@link #FALLBACK_CLOCK_KHZ} / {@link #FALLBACK_BANDWIDTH_BYTES_PER_SECOND}.
   *
   * @param clockKhz CU_DEVICE_ATTRIBUTE_CLOCK_RATE (kHz)
   * @param memoryClockKhz CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE (kHz)
   * @param busWidthBits CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH
   */
  public static GpuSpec of(int major, int minor, int smCount, int maxThreadsPerSm, int maxBlocksPerSm,
      int maxRegistersPerSm, long maxSharedPerSmBytes, long clockKhz, long memoryClockKhz, int busWidthBits) {
    long clockHz = (clockKhz > 0 ? clockKhz : FALLBACK_CLOCK_KHZ) * 1000;
    double peak = (double) smCount * fp32LanesPerSm(major, minor) * 2 * clockHz;
    double bandwidth = memoryClockKhz > 0 && busWidthBits > 0 ? memoryClockKhz * 1000.0 * (busWidthBits / 8.0) * 2
        : FALLBACK_BANDWIDTH_BYTES_PER_SECOND;
    return new GpuSpec(smCount, maxThreadsPerSm, maxBlocksPerSm, maxRegistersPerSm, maxSharedPerSmBytes, peak,
        bandwidth, major >= 6 ? RESIDENT_GRIDS : RESIDENT_GRIDS_BEFORE_6, clockHz);
  }

  /**
   * Maps a {@link dev.braid.device.DeviceStream} priority onto the context's range: CUDA reports
   * {@code least} (the numerically greatest, e.g. 0) and {@code greatest} (most urgent, e.g. -5);
   * Braid's priorities share CUDA's sign convention, so the value is clamped into the range.
   */
  public static int streamPriority(int requested, int least, int greatest) {
    return Math.max(greatest, Math.min(least, requested));
  }
}
