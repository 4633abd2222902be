package dev.braid.device;

/**
 * A region of device memory returned by {@link Device#allocate} and valid until passed to
 * {@link Device#free} or the device closes. Lifecycle: allocated -> freed; a freed buffer must not
 * be used again. Braid stores 4-byte elements (float32), so sizes are multiples of 4.
 */
public interface DeviceBuffer {
  /** The size requested at allocation. */
  long sizeBytes();

  /** The whole buffer as one slice. */
  default BufferSlice whole() {
    return new BufferSlice(this, 0, sizeBytes());
  }

  /** A slice of {@code lengthBytes} at {@code offsetBytes}. */
  default BufferSlice slice(long offsetBytes, long lengthBytes) {
    return new BufferSlice(this, offsetBytes, lengthBytes);
  }
}
