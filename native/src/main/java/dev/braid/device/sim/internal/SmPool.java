package dev.braid.device.sim.internal;

import dev.braid.device.GpuSpec;
import dev.braid.device.plan.LaunchGeometry;

/**
 * The SMs' free resources, their busy time, and which SMs gained room since the last dispatch.
 *
 * <p>Invariants: per SM, {@code 0 <= free <= limit} for threads, registers, shared memory and
 * block slots; an SM is busy exactly while it holds at least one block, and
 * {@code busyNanos(now)} sums those intervals over all SMs.
 */
final class SmPool {
  private final GpuSpec spec;
  private final int count;
  private final int[] freeThreads;
  private final int[] freeRegisters;
  private final long[] freeShared;
  private final int[] freeSlots;
  private final int[] blocks;
  private final long[] busySinceNanos;
  private final boolean[] dirty;
  private final int[] dirtyList;
  private int dirtyCount;
  private int rotation;
  private long busyNanos;
  private long residentThreadsOnDevice;

  SmPool(GpuSpec spec) {
    this.spec = spec;
    this.count = spec.smCount();
    freeThreads = new int[count];
    freeRegisters = new int[count];
    freeShared = new long[count];
    freeSlots = new int[count];
    blocks = new int[count];
    busySinceNanos = new long[count];
    dirty = new boolean[count];
    dirtyList = new int[count];
    for (int i = 0; i < count; i++) {
      freeThreads[i] = spec.maxThreadsPerSm();
      freeRegisters[i] = spec.maxRegistersPerSm();
      freeShared[i] = spec.maxSharedMemoryPerSmBytes();
      freeSlots[i] = spec.maxBlocksPerSm();
    }
  }

  boolean fits(int sm, LaunchGeometry g) {
    return freeSlots[sm] >= 1 && freeThreads[sm] >= g.threadsPerBlock()
        && freeRegisters[sm] >= g.threadsPerBlock() * g.registersPerThread()
        && freeShared[sm] >= g.sharedMemoryBytes();
  }

  void take(int sm, LaunchGeometry g, long nowNanos) {
    freeSlots[sm]--;
    freeThreads[sm] -= g.threadsPerBlock();
    freeRegisters[sm] -= g.threadsPerBlock() * g.registersPerThread();
    freeShared[sm] -= g.sharedMemoryBytes();
    residentThreadsOnDevice += g.threadsPerBlock();
    if (blocks[sm]++ == 0) {
      busySinceNanos[sm] = nowNanos;
    }
  }

  void release(int sm, LaunchGeometry g, int n, long nowNanos) {
    freeSlots[sm] += n;
    freeThreads[sm] += n * g.threadsPerBlock();
    freeRegisters[sm] += n * g.threadsPerBlock() * g.registersPerThread();
    freeShared[sm] += (long) n * g.sharedMemoryBytes();
    residentThreadsOnDevice -= (long) n * g.threadsPerBlock();
    blocks[sm] -= n;
    if (blocks[sm] == 0) {
      busyNanos += nowNanos - busySinceNanos[sm];
    }
    if (!dirty[sm]) {
      dirty[sm] = true;
      dirtyList[dirtyCount++] = sm;
    }
  }

  int residentThreads(int sm) {
    return spec.maxThreadsPerSm() - freeThreads[sm];
  }

  long residentThreadsOnDevice() {
    return residentThreadsOnDevice;
  }

  /** SMs that gained room since {@link #clearDirty()}, in the order they did. */
  int[] dirty() {
    return java.util.Arrays.copyOf(dirtyList, dirtyCount);
  }

  void clearDirty() {
    for (int i = 0; i < dirtyCount; i++) {
      dirty[dirtyList[i]] = false;
    }
    dirtyCount = 0;
  }

  /** All SMs, starting where the last full placement stopped, so new kernels spread over the chip. */
  int[] rotation() {
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = (rotation + i) % count;
    }
    return order;
  }

  void advanceRotation(int by) {
    rotation = (rotation + by) % count;
  }

  /** Busy SM-time up to {@code nowNanos}, counting SMs busy now up to now. */
  long busyNanos(long nowNanos) {
    long b = busyNanos;
    for (int i = 0; i < count; i++) {
      if (blocks[i] > 0) {
        b += nowNanos - busySinceNanos[i];
      }
    }
    return b;
  }
}
