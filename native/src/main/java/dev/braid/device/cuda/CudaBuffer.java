package dev.braid.device.cuda;

import dev.braid.device.DeviceBuffer;

/**
 * A block of a {@link CudaDevice}'s memory pool. Lifecycle: allocated -> freed (by
 * {@link CudaDevice#free} or the device's close); the address is meaningless afterwards.
 */
final class CudaBuffer implements DeviceBuffer {
  private final CudaDevice owner;
  private final long address;
  private final long sizeBytes;

  CudaBuffer(CudaDevice owner, long address, long sizeBytes) {
    this.owner = owner;
    this.address = address;
    this.sizeBytes = sizeBytes;
  }

  CudaDevice owner() {
    return owner;
  }

  /** Device address of the first byte. */
  long address() {
    return address;
  }

  @Override
  public long sizeBytes() {
    return sizeBytes;
  }

  @Override
  public String toString() {
    return "CudaBuffer[0x" + Long.toHexString(address) + ", " + sizeBytes + " B]";
  }
}
