package dev.braid.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** One timer's worth of waits: order by time, answered items never due, bounded size. */
class DeadlineQueueTest {
  final Set<Long> live = new HashSet<>();
  final DeadlineQueue<Long> queue = new DeadlineQueue<>(live::contains);

  void add(long key, long due) {
    live.add(key);
    queue.add(key, due, live.size());
  }

  List<Long> pollDue(long now) {
    List<Long> due = new ArrayList<>();
    queue.pollDue(now, k -> {
      live.remove(k);
      due.add(k);
    });
    return due;
  }

  @Test
  void keysComeDueInTheOrderOfTheirTimesNotOfTheirArrival() {
    add(1, 300);
    add(2, 100);
    add(3, 200);
    assertEquals(100, queue.nextDueNanos());
    assertEquals(List.of(2L, 3L), pollDue(200));
    assertEquals(300, queue.nextDueNanos());
    assertEquals(List.of(1L), pollDue(1_000));
    assertEquals(Long.MAX_VALUE, queue.nextDueNanos());
  }

  @Test
  void anAnsweredKeyNeverComesDueAndDoesNotHoldTheNextTime() {
    add(1, 100);
    add(2, 200);
    live.remove(1L);
    assertEquals(200, queue.nextDueNanos());
    assertEquals(List.of(2L), pollDue(1_000));
  }

  @Test
  void answeredEntriesAreDroppedOnceTheyOutnumberTheLiveOnes() {
    for (long k = 0; k < 10_000; k++) {
      add(k, 1_000_000 + k);
      live.remove(k);
    }
    assertTrue(queue.size() <= 2 + 64 + 1, "entries kept: " + queue.size());
    assertEquals(Long.MAX_VALUE, queue.nextDueNanos());
  }
}
