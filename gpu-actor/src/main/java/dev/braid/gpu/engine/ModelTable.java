package dev.braid.gpu.engine;

import dev.braid.device.Device;
import dev.braid.device.exec.ModelRun;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.FailureReason;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's models by name, in load order, and how one gets in: bound and compiled at batch 1
 * (at its declared shapes when it does not batch), profiled, then serving.
 *
 * <p>Lifecycle of an entry: absent -> loading (in the table, not {@code ready}; refuses requests)
 * -> serving ({@code ready}) -> removed by an unload or by a failed profile. Invariants: a name is
 * in the table at most once; a model that fails to bind or compile never enters it and has its
 * weights closed; every load is answered exactly once, {@link LoadResult.Loaded} only after its
 * profile finished.
 */
final class ModelTable {
  /** Under the engine's name: these lines are the engine's to an operator. */
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  private final Map<String, ModelSlot> models = new LinkedHashMap<>();
  private final Device device;
  private final int profilingRuns;
  private final Profiler profiler;
  private final Runnable pump;

  ModelTable(Device device, int profilingRuns, Profiler profiler, Runnable pump) {
    this.device = device;
    this.profilingRuns = profilingRuns;
    this.profiler = profiler;
    this.pump = pump;
  }

  ModelSlot get(String name) {
    return models.get(name);
  }

  /** The slot of a model that serves, or null. */
  ModelSlot serving(String name) {
    ModelSlot slot = models.get(name);
    return slot == null || !slot.ready ? null : slot;
  }

  /** Takes {@code name} out of the table; null when it was not there. */
  ModelSlot remove(String name) {
    return models.remove(name);
  }

  /**
   * Starts unloading {@code name} (see {@link GpuEngine#unload}): takes it out of the table,
   * answers its queued and started requests {@link FailureReason#UNLOADED}, and answers {@code
   * done} once its launches still on the device settled (at once on an unhealthy device, whose
   * stages may never settle). Returns false, having answered {@code done}, when it was not here.
   */
  boolean unload(String name, Consumer<Unloaded> done, Answers answers, Jobs jobs, boolean healthy) {
    ModelSlot slot = models.remove(name);
    if (slot == null) {
      done.accept(new Unloaded(name, false, 0));
      return false;
    }
    slot.unloading = true;
    slot.onUnloaded = done;
    String why = "model '" + name + "' was unloaded";
    slot.requestsFailedByUnload += answers.failQueued(slot.batcher, FailureReason.UNLOADED, why);
    jobs.unload(slot, why);
    LOG.info("model '{}' unloading: {} request(s) answered UNLOADED", name, slot.requestsFailedByUnload);
    slot.freeIfUnloaded();
    if (!healthy) {
      slot.answerUnload();
    }
    return true;
  }

  /**
   * Gives every model up at once (see {@link GpuEngine#abandon}): loads in progress answered
   * {@link LoadResult.LoadError} with {@code why}, pending unloads answered.
   */
  void abandon(String why) {
    failLoading(why);
    for (ModelSlot slot : List.copyOf(models.values())) {
      slot.answerUnload();
    }
  }

  /** Why {@code name} takes no requests: not loaded or still loading, and the models that serve. */
  String whyNotServing(String name) {
    return "model '" + name + "' is " + (models.get(name) == null ? "not loaded" : "still loading")
        + "; loaded models: " + names();
  }

  /** Every slot, loading or serving, in load order (live view). */
  Collection<ModelSlot> all() {
    return models.values();
  }

  /** The names of the models serving, in load order. */
  List<String> names() {
    return models.values().stream().filter(s -> s.ready).map(s -> s.name).toList();
  }

  /** Loads {@code model} as {@code name}, answering {@code done} once; see {@link GpuEngine#load}. */
  void load(String name, RepositoryModel model, Consumer<LoadResult> done) {
    ModelSlot existing = models.get(name);
    if (existing != null) {
      done.accept(new LoadResult.LoadError(name, "model '" + name + "' is already "
          + (existing.ready ? "loaded" : "loading") + "; unload it first"));
      return;
    }
    ModelSlot slot;
    try {
      slot = new ModelSlot(name, model, device);
    } catch (RuntimeException e) {
      done.accept(new LoadResult.LoadError(name, Failures.message(e)));
      return;
    }
    try {
      slot.compileAtLoad();
    } catch (RuntimeException e) {
      slot.weights.close();
      LOG.info("model '{}' failed to load: {}", name, Failures.message(e));
      done.accept(new LoadResult.LoadError(name, Failures.message(e)));
      return;
    }
    models.put(name, slot);
    slot.onLoaded = done;
    Runnable ready = () -> {
      if (slot.onLoaded == null) {
        return;
      }
      slot.onLoaded = null;
      slot.ready = true;
      LOG.info("model '{}' version {} loaded: {} ops at batch 1, {} weight bytes", name, model.latestVersion(),
          slot.plan(1).size(), slot.weights.residentBytes());
      done.accept(new LoadResult.Loaded(name, model.latestVersion(), slot.maxBatchSize,
          slot.weights.residentBytes()));
      pump.run();
    };
    if (device instanceof SimulatedDevice sim && slot.special.isEmpty()) {
      profiler.fromTimingModel(sim, slot, 1);
      ready.run();
    } else if (profilingRuns == 0 || !slot.special.isEmpty()) { // a specialized model has no plan to profile yet
      ready.run();
    } else {
      slot.live++;
      profiler.profile(slot, profilingRuns, () -> {
        slot.live--;
        ready.run();
      }, (request, error) -> profilingFailed(slot, request, error, done));
    }
  }

  /**
   * Answers every load still in progress {@link LoadResult.LoadError} with {@code message} and
   * takes those models out of the table, without waiting on their profiling stages.
   */
  void failLoading(String message) {
    for (ModelSlot slot : List.copyOf(models.values())) {
      Consumer<LoadResult> done = slot.onLoaded;
      if (done == null) {
        continue;
      }
      slot.onLoaded = null;
      models.remove(slot.name);
      done.accept(new LoadResult.LoadError(slot.name, "model '" + slot.name + "' did not load: " + message));
    }
  }

  private void profilingFailed(ModelSlot slot, ModelRun request, Throwable error, Consumer<LoadResult> done) {
    if (request != null) {
      try {
        request.abort();
      } catch (RuntimeException e) {
        LOG.debug("model '{}': releasing the profiling run failed: {}", slot.name, Failures.message(e));
      }
    }
    slot.live--;
    if (slot.onLoaded == null) {
      // Answered already (the device went unhealthy); the table no longer holds it.
      return;
    }
    slot.onLoaded = null;
    if (!slot.unloading) {
      models.remove(slot.name);
      slot.weights.close();
    } else {
      slot.freeIfUnloaded();
    }
    done.accept(new LoadResult.LoadError(slot.name, "model '" + slot.name + "': profiling failed: "
        + Failures.message(error)));
    pump.run();
  }
}
