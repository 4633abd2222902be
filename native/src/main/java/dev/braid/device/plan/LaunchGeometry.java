package dev.braid.device.plan;

import dev.braid.device.GpuSpec;

/**
 * How a kernel launches on a GPU: its grid and the per-block resources that bound how many of
 * its blocks one SM holds at once (occupancy).
 *
 * @param blocks thread blocks in the grid; positive
 * @param threadsPerBlock threads per block; positive, at most 1024
 * @param registersPerThread 32-bit registers each thread uses (as {@code ptxas -v} reports)
 * @param sharedMemoryBytes static plus dynamic shared memory per block
 */
public record LaunchGeometry(int blocks, int threadsPerBlock, int registersPerThread, int sharedMemoryBytes) {
  public LaunchGeometry {
    if (blocks < 1) {
      throw new IllegalArgumentException("blocks must be >= 1, got " + blocks);
    }
    if (threadsPerBlock < 1 || threadsPerBlock > 1024) {
      throw new IllegalArgumentException("threadsPerBlock must be in [1, 1024], got " + threadsPerBlock);
    }
    if (registersPerThread < 1 || registersPerThread > 255) {
      throw new IllegalArgumentException("registersPerThread must be in [1, 255], got " + registersPerThread);
    }
    if (sharedMemoryBytes < 0) {
      throw new IllegalArgumentException("sharedMemoryBytes must be >= 0, got " + sharedMemoryBytes);
    }
  }

  /**
   * Blocks of this kernel one SM of {@code gpu} can hold at once: the least of the limits on
   * blocks, threads, registers and shared memory. Zero when one block does not fit at all.
   */
  public int residentBlocksPerSm(GpuSpec gpu) {
    int byBlocks = gpu.maxBlocksPerSm();
    int byThreads = gpu.maxThreadsPerSm() / threadsPerBlock;
    int byRegisters = gpu.maxRegistersPerSm() / (registersPerThread * threadsPerBlock);
    long byShared = sharedMemoryBytes == 0 ? Integer.MAX_VALUE : gpu.maxSharedMemoryPerSmBytes() / sharedMemoryBytes;
    return (int) Math.min(Math.min(byBlocks, byThreads), Math.min(byRegisters, byShared));
  }

  /** Full waves of this grid over the GPU: blocks divided by what all SMs hold at once, rounded up. */
  public int waves(GpuSpec gpu) {
    int perWave = residentBlocksPerSm(gpu) * gpu.smCount();
    if (perWave == 0) {
      throw new IllegalStateException(this + " does not fit on one SM of " + gpu);
    }
    return (blocks + perWave - 1) / perWave;
  }
}
