package dev.braid.device;

/**
 * The hardware limits of one GPU that the cost model and the super-kernel planner read. Every
 * field is positive; counts are per streaming multiprocessor (SM) where the name says so.
 *
 * @param smCount streaming multiprocessors on the chip
 * @param maxThreadsPerSm resident threads one SM can hold
 * @param maxBlocksPerSm resident thread blocks one SM can hold
 * @param maxRegistersPerSm 32-bit registers in one SM's register file
 * @param maxSharedMemoryPerSmBytes shared memory one SM offers to resident blocks
 * @param peakFp32FlopsPerSecond FP32 peak (FMA counted as two FLOPs), without tensor cores
 * @param memoryBandwidthBytesPerSecond peak device-memory bandwidth
 * @param maxResidentKernels kernels that may run concurrently on the device
 * @param clockHz the SM boost clock
 */
public record GpuSpec(
    int smCount,
    int maxThreadsPerSm,
    int maxBlocksPerSm,
    int maxRegistersPerSm,
    long maxSharedMemoryPerSmBytes,
    double peakFp32FlopsPerSecond,
    double memoryBandwidthBytesPerSecond,
    int maxResidentKernels,
    long clockHz) {
  public GpuSpec {
    positive("smCount", smCount);
    positive("maxThreadsPerSm", maxThreadsPerSm);
    positive("maxBlocksPerSm", maxBlocksPerSm);
    positive("maxRegistersPerSm", maxRegistersPerSm);
    positive("maxSharedMemoryPerSmBytes", maxSharedMemoryPerSmBytes);
    positive("peakFp32FlopsPerSecond", peakFp32FlopsPerSecond);
    positive("memoryBandwidthBytesPerSecond", memoryBandwidthBytesPerSecond);
    positive("maxResidentKernels", maxResidentKernels);
    positive("clockHz", clockHz);
  }

  private static void positive(String field, double value) {
    if (!(value > 0)) {
      throw new IllegalArgumentException("GpuSpec." + field + " must be > 0, got " + value);
    }
  }
}
