package dev.braid.time;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Requests in flight ordered by when their owner gives up waiting for an answer, so that one timer
 * (set for {@link #nextDueNanos}) replaces a scheduled task per request. Not thread-safe: one actor
 * owns it, or its owner's lock guards it.
 *
 * <p>Why: a scheduled task (or an ask, which is a temporary actor plus one) per request was most
 * of a GPU endpoint's cost per tiny request. A request answered in time costs here one heap entry,
 * and nothing when it is answered: the owner says which items are still {@code live} (not yet
 * answered), and entries of answered items are dropped when they reach the head or when they
 * outnumber the live ones (so the queue holds at most about twice the requests in flight).
 *
 * @param <T> what the owner waits for (a request, an attempt); {@code live} decides on it
 */
public final class DeadlineQueue<T> {
  /** Rebuilt when it holds more than this many entries beyond twice the live ones: amortised O(1) per add. */
  private static final int SLACK = 64;

  private record Entry<T>(long dueNanos, T item) {}

  private final Predicate<T> live;
  private PriorityQueue<Entry<T>> queue = new PriorityQueue<>(Comparator.comparingLong(Entry::dueNanos));

  /** @param live whether an item still waits for its answer */
  public DeadlineQueue(Predicate<T> live) {
    this.live = Objects.requireNonNull(live, "live");
  }

  /**
   * Waits for {@code item} until {@code dueNanos}.
   *
   * @param liveCount how many items are live now, this one included (bounds the answered entries kept)
   */
  public void add(T item, long dueNanos, int liveCount) {
    if (queue.size() > 2 * liveCount + SLACK) {
      List<Entry<T>> kept = new ArrayList<>(liveCount);
      for (Entry<T> e : queue) {
        if (live.test(e.item())) {
          kept.add(e);
        }
      }
      PriorityQueue<Entry<T>> rebuilt = new PriorityQueue<>(Math.max(1, kept.size()), queue.comparator());
      rebuilt.addAll(kept);
      queue = rebuilt;
    }
    queue.add(new Entry<>(dueNanos, item));
  }

  /** Hands {@code due} every live item whose time is at or before {@code nowNanos}, and forgets it. */
  public void pollDue(long nowNanos, Consumer<T> due) {
    Entry<T> head;
    while ((head = queue.peek()) != null && (head.dueNanos() <= nowNanos || !live.test(head.item()))) {
      queue.poll();
      if (live.test(head.item())) {
        due.accept(head.item());
      }
    }
  }

  /** The earliest time of a live item; {@link Long#MAX_VALUE} when none waits. */
  public long nextDueNanos() {
    Entry<T> head;
    while ((head = queue.peek()) != null && !live.test(head.item())) {
      queue.poll();
    }
    return head == null ? Long.MAX_VALUE : head.dueNanos();
  }

  /** Entries held, answered ones not yet dropped included. */
  public int size() {
    return queue.size();
  }
}
