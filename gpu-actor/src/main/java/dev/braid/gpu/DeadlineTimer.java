package dev.braid.gpu;

import dev.braid.time.NanoClock;
import java.time.Duration;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The one timer of a {@link GpuActor}: it fires ({@link Tick}) at the earlier of the engine's next
 * wake-up (its batchers' deadlines) and the first request whose wait for the engine is over ({@link
 * InFlight}). A tick that finds nothing due only re-arms. Confined to the actor's thread; one per
 * incarnation (a restart cancels the timers).
 */
final class DeadlineTimer {
  /** The message the timer sends. */
  enum Tick { INSTANCE }

  private final TimerScheduler<Object> timers;
  private final NanoClock clock;
  /** When the engine asked to be woken; {@link Long#MAX_VALUE} when it did not. */
  private long engineWakeNanos = Long.MAX_VALUE;
  /** When the tick fires; {@link Long#MAX_VALUE} when it is not set. */
  private long dueNanos = Long.MAX_VALUE;

  DeadlineTimer(TimerScheduler<Object> timers, NanoClock clock) {
    this.timers = timers;
    this.clock = clock;
  }

  /** The engine asks to be woken at {@code atNanos}, instead of at any time it asked before. */
  void engineWakeAt(long atNanos) {
    engineWakeNanos = atNanos;
    if (atNanos < dueNanos) {
      set(clock.nanoTime(), atNanos);
    }
  }

  /** A request's wait is over at {@code atNanos}. */
  void waitUntil(long nowNanos, long atNanos) {
    if (atNanos < dueNanos) {
      set(nowNanos, atNanos);
    }
  }

  /** The tick came at {@code nowNanos}: whether the engine is due to be woken (its wake-up is then used up). */
  boolean fired(long nowNanos) {
    dueNanos = Long.MAX_VALUE;
    if (engineWakeNanos > nowNanos) {
      return false;
    }
    engineWakeNanos = Long.MAX_VALUE;
    return true;
  }

  /** After a tick: set for the engine's wake-up or {@code nextWaitNanos}, whichever is first. */
  void rearm(long nowNanos, long nextWaitNanos) {
    long next = Math.min(engineWakeNanos, nextWaitNanos);
    if (next < dueNanos) {
      set(nowNanos, next);
    }
  }

  private void set(long nowNanos, long atNanos) {
    dueNanos = atNanos;
    timers.startSingleTimer(Tick.INSTANCE, Duration.ofNanos(Math.max(0, atNanos - nowNanos)));
  }
}
