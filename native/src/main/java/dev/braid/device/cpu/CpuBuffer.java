package dev.braid.device.cpu;

import dev.braid.device.DeviceBuffer;

/**
 * A CpuDevice buffer: a float array owned by one device. Lifecycle: live -> freed; the array is
 * dropped on free so a use after free fails instead of reading stale data.
 */
final class CpuBuffer implements DeviceBuffer {
  private final CpuDevice owner;
  private final long sizeBytes;
  private volatile float[] data;

  CpuBuffer(CpuDevice owner, long sizeBytes) {
    this.owner = owner;
    this.sizeBytes = sizeBytes;
    this.data = new float[(int) (sizeBytes / 4)];
  }

  @Override
  public long sizeBytes() {
    return sizeBytes;
  }

  CpuDevice owner() {
    return owner;
  }

  /** The storage, or null once freed. */
  float[] data() {
    return data;
  }

  void release() {
    data = null;
  }

  @Override
  public String toString() {
    return "CpuBuffer[" + sizeBytes + " bytes" + (data == null ? ", freed]" : "]");
  }
}
