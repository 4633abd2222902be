package dev.braid.device.sim;

import dev.braid.device.DeviceBuffer;

/**
 * A buffer of a {@link SimulatedDevice}: its size, and in REAL mode the CPU buffer of the same size
 * that holds its values. Lifecycle: live from allocation until freed ({@code freed} set by its
 * device, which alone touches it).
 */
final class SimBuffer implements DeviceBuffer {
  final SimulatedDevice owner;
  final long sizeBytes;
  final DeviceBuffer backing;
  boolean freed;

  SimBuffer(SimulatedDevice owner, long sizeBytes, DeviceBuffer backing) {
    this.owner = owner;
    this.sizeBytes = sizeBytes;
    this.backing = backing;
  }

  @Override
  public long sizeBytes() {
    return sizeBytes;
  }

  @Override
  public String toString() {
    return "SimBuffer[" + sizeBytes + " bytes]";
  }
}
