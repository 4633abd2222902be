package dev.braid.gpu.engine;

/**
 * How a {@link GpuEngine} asks its owner to call {@link GpuEngine#onWakeup()} at a time: when a
 * batcher's queue delay ends or a queued request's deadline passes. A later request may replace
 * an earlier one (a single timer) or add to it (a list of events); waking early or twice is
 * harmless.
 */
@FunctionalInterface
public interface WakeupTimer {
  /** Call {@link GpuEngine#onWakeup()} at {@code atNanos} on the engine's clock (now or later). */
  void wakeAt(long atNanos);
}
