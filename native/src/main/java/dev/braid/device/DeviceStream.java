package dev.braid.device;

/**
 * An ordered queue of device work, like a CUDA stream: work submitted to one stream runs in
 * submission order, each item starting after the previous one finished (whether it succeeded or
 * failed); work on different streams may run concurrently.
 *
 * <p>{@link #priority()} follows CUDA: a lower number is a higher priority. A device that cannot
 * prioritise (the CPU) records it and serves streams fairly.
 */
public interface DeviceStream {
  /** Lower is more urgent, as in {@code cuStreamCreateWithPriority}. */
  int priority();
}
