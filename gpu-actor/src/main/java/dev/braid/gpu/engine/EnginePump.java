package dev.braid.gpu.engine;

import dev.braid.time.NanoClock;
import dev.braid.gpu.batch.Batch;
import dev.braid.gpu.sched.PlannedLaunch;
import dev.braid.gpu.sched.SpaceTimeScheduler;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's one turn after every event (a submission, a timer, a completion): release the
 * batches due (all queued ones while draining) and start them, expire late jobs, issue what the
 * scheduler plans, ask the owner for a wakeup at the batchers' next release or at the end of a hold
 * the scheduler decided ({@link SpaceTimeScheduler#holdWakeNanos()}), whichever comes first, and
 * answer the drain waiters once nothing is left. It also keeps the drain: once draining, always
 * draining. Confined to the engine's thread.
 */
final class EnginePump implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  private final NanoClock clock;
  private final WakeupTimer timer;
  private final SpaceTimeScheduler scheduler;
  private final ModelTable models;
  private final Jobs jobs;
  private final Launcher launcher;
  private final Answers answers;
  private final EngineHealth health;
  private final int maxBatchesInFlightPerModel;
  private final List<Runnable> drainWaiters = new ArrayList<>();
  private boolean draining;
  private long wakeRequestedNanos = Long.MAX_VALUE;

  EnginePump(NanoClock clock, WakeupTimer timer, SpaceTimeScheduler scheduler, ModelTable models, Jobs jobs,
      Launcher launcher, Answers answers, EngineHealth health, int maxBatchesInFlightPerModel) {
    this.clock = clock;
    this.timer = timer;
    this.scheduler = scheduler;
    this.models = models;
    this.jobs = jobs;
    this.launcher = launcher;
    this.answers = answers;
    this.health = health;
    this.maxBatchesInFlightPerModel = maxBatchesInFlightPerModel;
  }

  /** One turn (see the class comment). */
  @Override
  public void run() {
    if (!health.isHealthy()) {
      checkDrained();
      return;
    }
    long now = clock.nanoTime();
    releaseDue(now);
    if (jobs.expire(now)) {
      releaseDue(now); // the expired batches made room for their models' queued requests
    }
    for (PlannedLaunch l : scheduler.plan(now)) {
      launcher.issue(l, now);
    }
    armTimer();
    checkDrained();
  }

  /** The owner's timer fired: the next wakeup asked for is a new one. */
  void wokeUp() {
    wakeRequestedNanos = Long.MAX_VALUE;
    run();
  }

  boolean isDraining() {
    return draining;
  }

  /** Starts draining (for good) and runs {@code done} once nothing is left; see {@link GpuEngine#drain}. */
  void drain(Runnable done) {
    if (!draining) {
      LOG.info("draining: {} request(s) waiting", answers.held());
    }
    draining = true;
    drainWaiters.add(done);
    run();
  }

  /** Runs every drain waiter now, whatever is left (the engine was given up). */
  void answerDrainWaiters() {
    List<Runnable> waiters = List.copyOf(drainWaiters);
    drainWaiters.clear();
    waiters.forEach(Runnable::run);
  }

  /** True when nothing is queued, started or on the device. */
  boolean isIdle() {
    return jobs.size() == 0 && launcher.inFlight() == 0 && models.all().stream().allMatch(s -> s.batcher.size() == 0);
  }

  /** Releases the batches due at {@code now} (all queued ones while draining) and starts them. */
  private void releaseDue(long now) {
    for (ModelSlot slot : List.copyOf(models.all())) {
      if (!slot.ready) {
        continue;
      }
      for (Batch b : slot.release(now, draining, maxBatchesInFlightPerModel, answers::failLate)) {
        jobs.start(slot, b, now);
      }
    }
  }

  /** Wakes at the batchers' next release or at the end of a hold the scheduler decided. */
  private void armTimer() {
    long next = scheduler.holdWakeNanos();
    for (ModelSlot s : models.all()) {
      if (s.ready) {
        next = Math.min(next, s.nextReleaseNanos(draining, maxBatchesInFlightPerModel));
      }
    }
    if (next != Long.MAX_VALUE && next != wakeRequestedNanos) {
      wakeRequestedNanos = next;
      timer.wakeAt(next);
    }
  }

  private void checkDrained() {
    // An unhealthy device holds no request, and stages still out may never settle: drained now.
    boolean settled = !health.isHealthy() || (isIdle() && models.all().stream().noneMatch(s -> s.live > 0));
    if (!draining || drainWaiters.isEmpty() || !settled) {
      return;
    }
    // Requests per batch tells an operator (and a benchmark) whether batches formed.
    LOG.info("drained: {} request(s) answered in {} batch(es) since start", answers.completed() + answers.failed(),
        jobs.batches());
    answerDrainWaiters();
  }
}
