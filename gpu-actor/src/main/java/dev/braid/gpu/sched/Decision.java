package dev.braid.gpu.sched;

import java.util.List;

/**
 * A policy's answer for some ready ops: either one launch (the ops to run together and the stream
 * to run them on) or a hold (the ops wait for fusion partners until {@code holdUntilNanos} and are
 * planned again then, or earlier when another event comes). The scheduler checks it (every op
 * ready and in only one decision, equal fusion keys when grouped, a free slot on the stream; for a
 * hold, an end after now and at most {@link SchedulerConfig#maxHold()} after each op became ready)
 * and turns a launch into a {@link PlannedLaunch}.
 *
 * @param stream the launch's stream; -1 for a hold
 * @param holdUntilNanos when a hold ends; {@link #NO_HOLD} for a launch
 */
public record Decision(List<OpRef> ops, int stream, long holdUntilNanos) {
  /** The {@code holdUntilNanos} of a launch. */
  public static final long NO_HOLD = Long.MIN_VALUE;

  public Decision {
    ops = List.copyOf(ops);
    if (holdUntilNanos != NO_HOLD && stream != -1) {
      throw new IllegalArgumentException("a hold takes no stream, got stream " + stream);
    }
  }

  /** A launch of {@code ops} on {@code stream}. */
  public Decision(List<OpRef> ops, int stream) {
    this(ops, stream, NO_HOLD);
  }

  public static Decision single(OpRef op, int stream) {
    return new Decision(List.of(op), stream);
  }

  /** {@code ops} wait for partners until {@code untilNanos}. */
  public static Decision hold(List<OpRef> ops, long untilNanos) {
    if (untilNanos == NO_HOLD) {
      throw new IllegalArgumentException("a hold needs an end time, got " + untilNanos);
    }
    return new Decision(ops, -1, untilNanos);
  }

  public boolean isHold() {
    return holdUntilNanos != NO_HOLD;
  }
}
