package dev.braid.gpu.engine;

import dev.braid.device.Device;
import dev.braid.gpu.sched.SpaceTimeScheduler;
import dev.braid.time.NanoClock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a {@link GpuEngine} reports of itself, read from its collaborators at the moment asked:
 * the {@link EngineStats} snapshot (counters of {@link Answers}, {@link Jobs} and {@link
 * Launcher}, each model's queue, the device's memory, health) and each specializing model's plan
 * cache counters. Reads only: it changes no state, so it may be called at any point of the
 * owner's thread.
 */
final class EngineReadout {
  private final Device device;
  private final NanoClock clock;
  private final SpaceTimeScheduler scheduler;
  private final ModelTable models;
  private final Answers answers;
  private final Jobs jobs;
  private final Launcher launcher;
  private final EngineHealth health;

  EngineReadout(Device device, NanoClock clock, SpaceTimeScheduler scheduler, ModelTable models, Answers answers,
      Jobs jobs, Launcher launcher, EngineHealth health) {
    this.device = device;
    this.clock = clock;
    this.scheduler = scheduler;
    this.models = models;
    this.answers = answers;
    this.jobs = jobs;
    this.launcher = launcher;
    this.health = health;
  }

  /** The engine's counters now (see {@link EngineStats} for each figure). */
  EngineStats stats() {
    long now = clock.nanoTime();
    Map<String, Integer> queued = new LinkedHashMap<>();
    for (ModelSlot s : models.all()) {
      queued.put(s.name, s.batcher.size());
    }
    return new EngineStats(scheduler.policy().name(), now, models.names(), answers.submitted(), answers.completed(),
        answers.failed(), answers.rejected(), answers.failures(), jobs.batches(), launcher.launches(),
        launcher.superKernels(), launcher.superKernelOps(), launcher.superKernelSizes(), queued, jobs.size(),
        launcher.inFlight(), launcher.busyNanos(now), allocatedBytes(), health.isHealthy(), health.reason());
  }

  /** Per model that specializes on shape-defining inputs, its plan cache's counters, in load order. */
  Map<String, SpecializationCounts> specializations() {
    Map<String, SpecializationCounts> out = new LinkedHashMap<>();
    for (ModelSlot s : models.all()) {
      if (!s.special.isEmpty()) {
        var c = s.specializations;
        out.put(s.name, new SpecializationCounts(c.size(), c.capacity(), c.compiles(), c.compileFailures(),
            c.evictions(), c.hits()));
      }
    }
    return out;
  }

  /** The device's memory in use, or -1 where a device that lost its context cannot say. */
  long allocatedBytes() {
    try {
      return device.allocatedBytes();
    } catch (RuntimeException e) {
      return -1;
    }
  }
}
