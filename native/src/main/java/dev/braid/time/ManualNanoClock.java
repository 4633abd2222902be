package dev.braid.time;

import java.time.Duration;

/** A {@link NanoClock} that moves only when told to, and never backwards. Not thread-safe. */
public final class ManualNanoClock implements NanoClock {
  private long now;

  public ManualNanoClock(long startNanos) {
    this.now = startNanos;
  }

  public ManualNanoClock() {
    this(0);
  }

  @Override
  public long nanoTime() {
    return now;
  }

  /** Moves the clock forward by {@code nanos} (>= 0). */
  public void advance(long nanos) {
    if (nanos < 0) {
      throw new IllegalArgumentException("a clock cannot go backwards: advance by " + nanos + " ns");
    }
    now += nanos;
  }

  public void advance(Duration d) {
    advance(d.toNanos());
  }

  /** Sets the clock to {@code nanos}, which must not be earlier than now. */
  public void set(long nanos) {
    if (nanos < now) {
      throw new IllegalArgumentException("a clock cannot go backwards: from " + now + " ns to " + nanos + " ns");
    }
    now = nanos;
  }
}
