package dev.braid.device.cuda;

import jcuda.driver.CUdeviceptr;

/**
 * A {@link CUdeviceptr} whose numeric address can be read: the pool allocator and the problem
 * tables work with plain {@code long} addresses, JCuda with pointer objects.
 */
final class DevicePointer extends CUdeviceptr {
  DevicePointer() {}

  /** The device address this pointer holds (after {@code cuMemAlloc} filled it). */
  long address() {
    return getNativePointer() + getByteOffset();
  }
}
