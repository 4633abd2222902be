package dev.braid.coordinator.cluster;

import dev.braid.time.DeadlineQueue;
import dev.braid.time.NanoClock;
import dev.braid.coordinator.cluster.ClientRequest.Attempt;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * When a frontend stops waiting for each attempt's answer: the attempts in flight by due time,
 * behind one timer for the earliest (a Pekko scheduled task per request cost more than routing
 * it). Thread-safe; the attempts that are over go to {@code onOver} outside the lock.
 */
final class ReplyDeadlines {
  private final ActorSystem<?> system;
  private final NanoClock clock;
  private final Consumer<Attempt> onOver;
  private final Object lock = new Object();
  // Guarded by lock.
  private final DeadlineQueue<Attempt> waits;
  private Cancellable timer;
  /** When {@code timer} fires; {@link Long#MAX_VALUE} when it is not set. */
  private long timerDueNanos = Long.MAX_VALUE;

  /**
   * @param live whether an attempt still waits (not answered, not sent again): the queue drops
   *     those that do not when it compacts
   * @param onOver called for each attempt whose wait is over
   */
  ReplyDeadlines(ActorSystem<?> system, NanoClock clock, Predicate<Attempt> live, Consumer<Attempt> onOver) {
    this.system = system;
    this.clock = clock;
    this.onOver = onOver;
    this.waits = new DeadlineQueue<>(live);
  }

  /**
   * Waits for {@code attempt} until {@code dueNanos} (read at {@code nowNanos}); {@code liveCount}
   * sizes the queue's compaction.
   */
  void add(Attempt attempt, long nowNanos, long dueNanos, int liveCount) {
    synchronized (lock) {
      waits.add(attempt, dueNanos, liveCount);
      if (dueNanos < timerDueNanos) {
        setTimer(nowNanos, dueNanos);
      }
    }
  }

  /** Sets the one timer for {@code dueNanos}. Holds lock. */
  private void setTimer(long nowNanos, long dueNanos) {
    if (timer != null) {
      timer.cancel();
    }
    timerDueNanos = dueNanos;
    timer = system.scheduler().scheduleOnce(Duration.ofNanos(Math.max(0, dueNanos - nowNanos)), this::onTimer,
        system.executionContext());
  }

  /** Hands over every attempt whose wait is over, and sets the timer for the next. */
  private void onTimer() {
    List<Attempt> over = new ArrayList<>();
    long now = clock.nanoTime();
    synchronized (lock) {
      timer = null;
      timerDueNanos = Long.MAX_VALUE;
      waits.pollDue(now, over::add);
      long next = waits.nextDueNanos();
      if (next != Long.MAX_VALUE) {
        setTimer(now, next);
      }
    }
    over.forEach(onOver);
  }
}
