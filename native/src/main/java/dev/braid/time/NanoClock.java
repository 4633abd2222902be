package dev.braid.time;

/**
 * A source of monotonic nanoseconds. Pure decision classes (scheduler, batcher, admission) take
 * one instead of calling {@link System#nanoTime()}, so that tests and the simulated device can
 * drive time themselves.
 */
@FunctionalInterface
public interface NanoClock {
  /** The current time in nanoseconds; only differences are meaningful. */
  long nanoTime();

  /** The JVM's monotonic clock. */
  static NanoClock system() {
    return System::nanoTime;
  }
}
