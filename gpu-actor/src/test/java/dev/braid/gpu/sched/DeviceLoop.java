package dev.braid.gpu.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.time.ManualNanoClock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A discrete-event stand-in for a device driving a scheduler in virtual time: jobs arrive at
 * their admission time, every planned launch runs for its expected duration on its stream, and
 * completions are fed back, and the scheduler is asked again at the end of every hold it
 * decided ({@link SpaceTimeScheduler#holdWakeNanos()}). With {@link #expiring()}, jobs that can no
 * longer meet their deadline are expired before each plan, as the engine does. It checks on the
 * way that no op runs before its job's previous op completed and that every job settles exactly
 * once.
 */
final class DeviceLoop {
  /** One executed launch. */
  record Run(PlannedLaunch launch, long startNanos, long endNanos) {}

  final ManualNanoClock clock = new ManualNanoClock();
  final SpaceTimeScheduler scheduler;
  final List<Run> runs = new ArrayList<>();
  final Map<Long, Long> finishedAtNanos = new LinkedHashMap<>();
  private final Map<Long, Long> lastOpEndNanos = new HashMap<>();
  private final Map<Long, Integer> lastOpIndex = new HashMap<>();
  /** Jobs expired TOO_LATE, by id, with the time. */
  final Map<Long, Long> expiredAtNanos = new LinkedHashMap<>();
  /** For each op run, how long it waited from becoming ready (admission or previous op's end). */
  final List<Long> readyToStartNanos = new ArrayList<>();
  private boolean expire;

  DeviceLoop(SpaceTimeScheduler scheduler) {
    this.scheduler = scheduler;
  }

  /** Expires late jobs before each plan, as the engine does. */
  DeviceLoop expiring() {
    this.expire = true;
    return this;
  }

  /** Runs {@code arrivals} (admitted at their {@code admittedNanos}) until every job finished. */
  DeviceLoop run(List<Job> arrivals) {
    List<Job> pending = new ArrayList<>(arrivals);
    pending.sort(Comparator.comparingLong(Job::admittedNanos).thenComparingLong(Job::id));
    PriorityQueue<Run> running = new PriorityQueue<>(
        Comparator.comparingLong(Run::endNanos).thenComparingLong(r -> r.launch().launchId()));
    int next = 0;
    while (true) {
      long now = clock.nanoTime();
      while (next < pending.size() && pending.get(next).admittedNanos() <= now) {
        scheduler.admit(pending.get(next++));
      }
      if (expire) {
        for (FailedJob f : scheduler.expire(now)) {
          assertEquals(null, expiredAtNanos.put(f.job().id(), now), "job " + f.job().id() + " expired twice");
        }
      }
      for (PlannedLaunch l : scheduler.plan(now)) {
        Run r = new Run(l, now, now + l.window().expectedDurationNanos());
        for (OpRef o : l.ops()) {
          long id = o.job().id();
          assertEquals(lastOpIndex.getOrDefault(id, -1) + 1, o.opIndex(), "ops of job " + id + " in plan order");
          assertTrue(lastOpEndNanos.getOrDefault(id, Long.MIN_VALUE) <= now,
              "op " + o.opIndex() + " of job " + id + " planned before its previous op completed");
          lastOpIndex.put(id, o.opIndex());
          readyToStartNanos.add(now - lastOpEndNanos.getOrDefault(id, o.job().admittedNanos()));
        }
        runs.add(r);
        running.add(r);
      }
      long nextArrival = next < pending.size() ? pending.get(next).admittedNanos() : Long.MAX_VALUE;
      long nextEnd = running.isEmpty() ? Long.MAX_VALUE : running.peek().endNanos();
      long wake = scheduler.holdWakeNanos();
      assertTrue(wake > now, "a hold ends after the plan that decided it");
      if (nextArrival == Long.MAX_VALUE && nextEnd == Long.MAX_VALUE && wake == Long.MAX_VALUE) {
        break;
      }
      clock.set(Math.min(Math.min(nextArrival, nextEnd), wake));
      while (!running.isEmpty() && running.peek().endNanos() == clock.nanoTime()) {
        Run r = running.poll();
        r.launch().ops().forEach(o -> lastOpEndNanos.put(o.job().id(), r.endNanos()));
        for (Job j : scheduler.completed(r.launch().launchId(), clock.nanoTime()).finished()) {
          assertEquals(null, finishedAtNanos.put(j.id(), clock.nanoTime()), "job " + j.id() + " finished twice");
        }
      }
    }
    assertEquals(arrivals.size(), finishedAtNanos.size() + expiredAtNanos.size(), "every admitted job settled");
    assertEquals(0, scheduler.jobCount());
    return this;
  }

  /** Each run as one line, to compare whole schedules. */
  List<String> trace() {
    List<String> out = new ArrayList<>();
    for (Run r : runs) {
      out.add(r.launch().launchId() + "@" + r.startNanos() + "-" + r.endNanos() + " s" + r.launch().stream()
          + " " + r.launch().ops());
    }
    return out;
  }
}
