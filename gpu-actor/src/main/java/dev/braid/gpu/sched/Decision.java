package dev.braid.gpu.sched;

import java.util.List;

/**
 * A policy's answer for one launch: the ready ops to run together and the stream to run them on.
 * The scheduler checks it (every op ready and in only one decision, equal fusion keys when
 * grouped, a free slot on the stream) and turns it into a {@link PlannedLaunch}.
 */
public record Decision(List<OpRef> ops, int stream) {
  public Decision {
    ops = List.copyOf(ops);
  }

  public static Decision single(OpRef op, int stream) {
    return new Decision(List.of(op), stream);
  }
}
