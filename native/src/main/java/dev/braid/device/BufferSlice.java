package dev.braid.device;

import java.util.Objects;

/**
 * A contiguous byte range of a {@link DeviceBuffer}: what kernels, uploads and downloads address.
 *
 * <p>Invariants: {@code 0 <= offsetBytes}, {@code 0 <= lengthBytes}, {@code offsetBytes +
 * lengthBytes <= buffer.sizeBytes()}, and both are multiples of {@link #ELEMENT_BYTES} because
 * every Braid buffer holds float32 elements.
 */
public record BufferSlice(DeviceBuffer buffer, long offsetBytes, long lengthBytes) {
  /** Bytes per element: Braid computes in float32. */
  public static final int ELEMENT_BYTES = 4;

  public BufferSlice {
    Objects.requireNonNull(buffer, "buffer");
    if (offsetBytes < 0 || offsetBytes % ELEMENT_BYTES != 0) {
      throw new IllegalArgumentException(
          "offsetBytes must be a non-negative multiple of 4, got " + offsetBytes);
    }
    if (lengthBytes < 0 || lengthBytes % ELEMENT_BYTES != 0) {
      throw new IllegalArgumentException(
          "lengthBytes must be a non-negative multiple of 4, got " + lengthBytes);
    }
    if (offsetBytes + lengthBytes > buffer.sizeBytes()) {
      throw new IllegalArgumentException(
          "slice [" + offsetBytes + ", " + (offsetBytes + lengthBytes) + ") exceeds buffer of "
              + buffer.sizeBytes() + " bytes");
    }
  }

  /** Offset in float elements. */
  public long offsetElements() {
    return offsetBytes / ELEMENT_BYTES;
  }

  /** Length in float elements. */
  public long lengthElements() {
    return lengthBytes / ELEMENT_BYTES;
  }

  /**
   * Throws {@link DeviceException} (INVALID_ARGUMENT) unless this slice holds exactly {@code
   * floats} elements: an upload fills its destination slice, no more and no less.
   */
  public void checkUploadOf(int floats) {
    if (lengthElements() != floats) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT, "upload of " + floats
          + " floats needs a slice of " + (long) ELEMENT_BYTES * floats + " bytes, got " + lengthBytes);
    }
  }
}
