package dev.braid.device;

import java.util.concurrent.CompletionStage;

/**
 * A place where kernels run: the CPU, a CUDA GPU, or a simulation. The scheduler drives every
 * device through this interface alone.
 *
 * <p>Lifecycle: open -> closed. Buffers are allocated and freed synchronously; transfers and
 * launches are asynchronous and ordered per {@link DeviceStream}. A failure never hangs a stage:
 * it completes exceptionally with a {@link DeviceException}. After {@link #close()} every call
 * fails with reason CLOSED.
 *
 * <p>Invariant: the sum of live buffer sizes never exceeds {@code info().memoryBytes()}.
 */
public interface Device extends AutoCloseable {
  DeviceInfo info();

  /**
   * Allocates {@code bytes} (a positive multiple of 4) of device memory; throws
   * {@link DeviceException} with reason OUT_OF_MEMORY when capacity is exhausted.
   */
  DeviceBuffer allocate(long bytes);

  /** Returns a buffer's memory to the device. Freeing twice or a foreign buffer throws. */
  void free(DeviceBuffer buffer);

  /** Bytes currently allocated. */
  long allocatedBytes();

  /** Copies {@code src} into {@code dst} (whose length must equal {@code 4 * src.length}) on {@code stream}. */
  CompletionStage<Void> upload(float[] src, BufferSlice dst, DeviceStream stream);

  /** Copies {@code src} to a new host array on {@code stream}. */
  CompletionStage<float[]> download(BufferSlice src, DeviceStream stream);

  /** A new stream; a lower {@code priority} is more urgent, as in CUDA. */
  DeviceStream createStream(int priority);

  /** The stream that exists from the start, at priority 0. */
  DeviceStream defaultStream();

  /**
   * Enqueues {@code launch} on {@code stream}: it starts after all work already submitted to that
   * stream. The stage fails with a {@link DeviceException} naming the kernel and argument if the
   * launch is malformed (argument count, slice sizes) or the kernel fails.
   */
  CompletionStage<Void> launch(Launch launch, DeviceStream stream);

  /**
   * Whether the device takes work. False after {@link #close()}, and for a GPU after an error that
   * lost its context (every later call then fails fast saying why): an actor that sees false stops
   * taking requests for this device.
   */
  default boolean healthy() {
    return true;
  }

  /** Frees all buffers and stops the device; idempotent. */
  @Override
  void close();
}
