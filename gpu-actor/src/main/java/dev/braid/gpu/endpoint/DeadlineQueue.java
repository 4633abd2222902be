package dev.braid.gpu.endpoint;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.LongConsumer;
import java.util.function.LongPredicate;

/**
 * Requests in flight ordered by when their owner gives up waiting for an answer, so that one timer
 * (set for {@link #nextDueNanos}) replaces a scheduled task per request. Not thread-safe: one actor
 * owns it.
 *
 * <p>Why: a scheduled task (or an ask, which is a temporary actor plus one) per request was most
 * of a GPU endpoint's cost per tiny request. A request answered in time costs here one heap entry;
 * nothing is done when it is answered. Keys are the owner's; the owner says which are still {@code
 * live} (not yet answered), and entries of answered keys are dropped when they reach the head or
 * when they outnumber the live ones (so the queue holds at most about twice the requests in
 * flight).
 */
public final class DeadlineQueue {
  /** Rebuilt when it holds more than this many entries beyond twice the live ones. */
  private static final int SLACK = 64;

  private record Entry(long dueNanos, long key) {}

  private final LongPredicate live;
  private PriorityQueue<Entry> queue = new PriorityQueue<>(Comparator.comparingLong(Entry::dueNanos));

  /** @param live whether a key still waits for its answer */
  public DeadlineQueue(LongPredicate live) {
    this.live = Objects.requireNonNull(live, "live");
  }

  /**
   * Waits for {@code key} until {@code dueNanos}.
   *
   * @param liveCount how many keys are live now, this one included (to bound the answered entries kept)
   */
  public void add(long key, long dueNanos, int liveCount) {
    if (queue.size() > 2 * liveCount + SLACK) {
      List<Entry> kept = new ArrayList<>(liveCount);
      for (Entry e : queue) {
        if (live.test(e.key())) {
          kept.add(e);
        }
      }
      queue = new PriorityQueue<>(Math.max(1, kept.size()), queue.comparator());
      queue.addAll(kept);
    }
    queue.add(new Entry(dueNanos, key));
  }

  /** Hands {@code due} every live key whose time is at or before {@code nowNanos}, and forgets it. */
  public void pollDue(long nowNanos, LongConsumer due) {
    Entry head;
    while ((head = queue.peek()) != null && (head.dueNanos() <= nowNanos || !live.test(head.key()))) {
      queue.poll();
      if (live.test(head.key())) {
        due.accept(head.key());
      }
    }
  }

  /** The earliest time of a live key; {@link Long#MAX_VALUE} when none waits. */
  public long nextDueNanos() {
    Entry head;
    while ((head = queue.peek()) != null && !live.test(head.key())) {
      queue.poll();
    }
    return head == null ? Long.MAX_VALUE : head.dueNanos();
  }

  /** Entries held, answered ones not yet dropped included (for tests). */
  int size() {
    return queue.size();
  }
}
