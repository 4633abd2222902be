package dev.braid.device;

/**
 * A device operation that failed: its message names the kernel, argument or buffer at fault and
 * the bad value. Delivered by failing the operation's {@code CompletionStage} for asynchronous
 * work, or thrown by synchronous calls ({@link Device#allocate}).
 */
public class DeviceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a device operation failed, grouped by the phase that detected it. */
  public enum Reason {
    /** Launch validation: wrong argument count, slice too small, foreign buffer. */
    INVALID_ARGUMENT,
    /** Allocation: the device's capacity is exhausted. */
    OUT_OF_MEMORY,
    /** Any call after {@link Device#close()} or on a freed buffer. */
    CLOSED,
    /** Execution: the kernel itself failed, or the device did. */
    KERNEL_FAILED,
    /**
     * Execution: a kernel met a value in its data that it cannot take (an index out of range or
     * not an integer, an integer result beyond float32's exact range). The data is at fault, not
     * the device, which stays healthy; for a batch, one member's inputs may be.
     */
    INVALID_DATA
  }

  private final Reason reason;

  public DeviceException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public DeviceException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
