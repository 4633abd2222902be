package dev.braid.gpu.engine;

import dev.braid.device.Device;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.device.exec.SharedWeights;
import dev.braid.device.exec.SpecializationCache;
import dev.braid.device.plan.KernelPlan;
import dev.braid.device.plan.KernelPlanner;
import dev.braid.gpu.batch.Batch;
import dev.braid.gpu.batch.DynamicBatcher;
import dev.braid.gpu.batch.Rejected;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import dev.braid.model.fold.Specialization;
import dev.braid.model.fold.SpecializationSettings;
import dev.braid.model.repo.RepositoryModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model as a {@link GpuEngine} holds it: its batcher, its weights (one upload shared by every
 * batch size) and its models compiled lazily per batch size.
 *
 * <p>Lifecycle: loading (batch 1 compiled, cost model being profiled) -> serving -> unloading
 * (withdrawn from the engine's table, waiting for its live work to settle) -> freed (weights
 * closed). Invariant: {@code live} counts the batches started and not yet settled plus a profiling
 * run in progress; the weights are freed only at {@code live == 0}.
 *
 * <p>A model with specialization inputs (values that define shapes, {@link Specialization}) is
 * compiled per request key instead, into a bounded {@link SpecializationCache}; it does not batch
 * (one request is one job, so requests of different keys never share a batch), is not compiled or
 * profiled at load, and each of its plans owns its constants: an evicted plan is closed (freeing
 * them) once no request runs on it.
 */
final class ModelSlot {
  /** Under the engine's name: these lines are the engine's to an operator. */
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  final String name;
  final RepositoryModel model;
  final DynamicBatcher batcher;
  final SharedWeights weights;
  /** Rows per batch: {@code max_batch_size}, or 1 for a model that does not batch. */
  final int maxBatchSize;
  final boolean batching;
  private final Device device;
  private final Map<Integer, CompiledModel> compiled = new HashMap<>();
  private final Map<Integer, KernelPlan> plans = new HashMap<>();
  /** The inputs whose values define shapes; empty for a model compiled once per batch size. */
  final Specialization special;
  /** The plans of a specialized model by key; empty otherwise. */
  final SpecializationCache<Specialization.Key, Specialized> specializations;
  /** Evicted plans with requests still running on them, closed once those settle. */
  private final List<CompiledModel> retired = new ArrayList<>();

  /** One specialization's compiled model and its plan. */
  record Specialized(CompiledModel compiled, KernelPlan plan) {}
  boolean ready;
  boolean unloading;
  int live;
  int requestsFailedByUnload;
  Consumer<Unloaded> onUnloaded;
  /** Answers the load while it is loading; null once answered. */
  Consumer<LoadResult> onLoaded;

  ModelSlot(String name, RepositoryModel model, Device device) {
    this(name, model, device, SpecializationSettings.load());
  }

  ModelSlot(String name, RepositoryModel model, Device device, SpecializationSettings specialization) {
    this.name = name;
    this.model = model;
    this.device = device;
    this.batching = model.config().maxBatchSize() > 0;
    this.maxBatchSize = Math.max(1, model.config().maxBatchSize());
    this.batcher = DynamicBatcher.of(model.config());
    this.weights = new SharedWeights(device, name);
    this.special = Specialization.of(model.latest(), specialization.maxElements());
    if (!special.isEmpty() && batching) {
      throw new ModelException("model '" + name + "' specializes on inputs " + special.names() + " (their values"
          + " define shapes, so each distinct value is compiled on its own) and so cannot batch: serve it with"
          + " max_batch_size 0");
    }
    this.specializations = new SpecializationCache<>(specialization.plansPerModel(), this::retire);
  }

  /** Compiles what a load compiles: batch 1, or nothing for a specialized model (no key is known yet). */
  void compileAtLoad() {
    if (special.isEmpty()) {
      compiled(1);
    }
  }

  /**
   * The plan for the key of {@code inputs}, compiled on first use (the key's inputs folded in as
   * constants) and kept in the slot's bounded cache.
   *
   * @throws IllegalArgumentException naming the model, the inputs and their values when the key is
   *     malformed or the model does not compile at it (e.g. a Reshape to a shape of another size)
   */
  Specialized specialized(Map<String, Tensor> inputs) {
    closeRetired();
    Specialization.Key key = special.key(inputs);
    return specializations.get(key, k -> {
      long start = System.nanoTime();
      CompiledModel c;
      ModelGraph graph;
      try {
        graph = special.apply(model.latest(), k).bindDeclared(declaredDims());
        c = ModelExecutor.compile(graph, device);
      } catch (ModelException | IllegalArgumentException e) {
        throw new IllegalArgumentException("model '" + name + "' cannot run at " + k + " (inputs whose values"
            + " define shapes): " + Failures.message(e), e);
      }
      LOG.info("model '{}' specialized at {} in {} ms ({} of at most {} plans held)", name, k,
          (System.nanoTime() - start) / 1_000_000, specializations.size() + 1, specializations.capacity());
      return new Specialized(c, new KernelPlan(name, 1, KernelPlanner.plan(graph).ops()));
    });
  }

  /** The request's inputs that the key's plan takes (its specialization inputs are folded in). */
  static Map<String, Tensor> feed(Specialized s, Map<String, Tensor> inputs) {
    Map<String, Tensor> feed = new HashMap<>();
    for (ValueInfo in : s.compiled().graph().inputs()) {
      feed.put(in.name(), inputs.get(in.name()));
    }
    return feed;
  }

  private Map<String, long[]> declaredDims() {
    Map<String, long[]> dims = new HashMap<>();
    model.config().inputs().forEach(t -> dims.put(t.name(), t.dims()));
    return dims;
  }

  private void retire(Specialized s) {
    retired.add(s.compiled());
    closeRetired();
  }

  /** Closes the retired plans no request runs on any more. */
  private void closeRetired() {
    retired.removeIf(c -> {
      if (c.liveRequests() > 0) {
        return false;
      }
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.warn("model '{}': closing an evicted specialization failed: {}", name, Failures.message(e));
      }
      return true;
    });
  }

  /** The model compiled at {@code batchSize} rows, binding and compiling it on first use. */
  CompiledModel compiled(int batchSize) {
    int key = batching ? batchSize : 1;
    CompiledModel c = compiled.get(key);
    if (c != null) {
      return c;
    }
    ModelGraph graph = model.bind(key);
    if (batching) {
      for (ValueInfo in : graph.inputs()) {
        if (in.shape().rank() == 0 || in.shape().dim(0) != key) {
          throw new IllegalStateException("model '" + name + "' declares max_batch_size " + maxBatchSize
              + " but its input '" + in.name() + "' bound at batch " + key + " has shape " + in.shape()
              + " (the first dimension must be the batch)");
        }
      }
    }
    c = ModelExecutor.compile(graph, device, weights);
    plans.put(key, new KernelPlan(name, key, KernelPlanner.plan(graph).ops()));
    compiled.put(key, c);
    return c;
  }

  boolean isCompiled(int batchSize) {
    return compiled.containsKey(batching ? batchSize : 1);
  }

  /**
   * The plan at {@code batchSize}, compiled by {@link #compiled} first; for a specialized model the
   * most recently used key's plan (an empty plan before the first), as its predictions' stand-in.
   */
  KernelPlan plan(int batchSize) {
    if (!special.isEmpty()) {
      return specializations.mostRecent().map(Specialized::plan).orElse(new KernelPlan(name, 1, List.of()));
    }
    compiled(batchSize);
    return plans.get(batching ? batchSize : 1);
  }

  /**
   * The batches its batcher releases at {@code now}, followed, when {@code flush} (draining), by
   * every request still queued in batches as full as allowed; the requests whose deadline passed in
   * the queue go to {@code late}, after the batches are taken and before they start. Unless it
   * flushes, a batching model with {@code maxBatchesInFlight} batches live releases only full
   * batches (which waiting cannot grow); the other requests wait in the queue and leave together
   * in its next batch once one of its batches is answered.
   */
  List<Batch> release(long now, boolean flush, int maxBatchesInFlight, Consumer<Rejected> late) {
    List<Batch> due = new ArrayList<>();
    if (flush || !batching) {
      due.addAll(batcher.drain(now));
      for (Optional<Batch> b = flush ? batcher.flush(now) : Optional.empty(); b.isPresent(); b = batcher.flush(now)) {
        due.add(b.get());
      }
    } else {
      for (int started = live; ; started++) {
        Optional<Batch> b = started < maxBatchesInFlight ? batcher.poll(now) : batcher.pollFull(now);
        if (b.isEmpty()) {
          break;
        }
        due.add(b.get());
      }
      batcher.expire(now); // held back or not, a request whose deadline passed leaves the queue now
    }
    for (Rejected r : batcher.takeRejected()) {
      late.accept(r);
    }
    return due;
  }

  /**
   * When the owner must next release for this slot, absent other events: the batcher's own next
   * deadline, or, while the slot is at its limit of batches ({@link #release}; what is left queued
   * then is not a full batch), only the earliest queued deadline: room frees when one of its
   * batches is answered, which is an event of its own.
   */
  long nextReleaseNanos(boolean flush, int maxBatchesInFlight) {
    if (!flush && batching && live >= maxBatchesInFlight) {
      return batcher.earliestDeadlineNanos();
    }
    return batcher.nextDeadlineNanos();
  }

  /**
   * Frees the weights and answers the unload once this slot is unloading with no live work left;
   * does nothing otherwise, or when that happened already.
   */
  void freeIfUnloaded() {
    if (!unloading || live > 0 || onUnloaded == null) {
      return;
    }
    try {
      specializations.clear();
      closeRetired();
      weights.close();
      LOG.info("model '{}' unloaded, weights freed", name);
    } catch (RuntimeException e) {
      // A device that lost its context fails every call, frees included; its owner closes it.
      LOG.warn("model '{}' unloaded; freeing its weights failed: {}", name, Failures.message(e));
    }
    answerUnload();
  }

  /**
   * Answers a pending unload now, without waiting for live work to settle: for a device that lost
   * its context, whose stages may never settle. The weights stay until the device is closed.
   */
  void answerUnload() {
    Consumer<Unloaded> done = onUnloaded;
    if (done == null) {
      return;
    }
    onUnloaded = null;
    done.accept(new Unloaded(name, true, requestsFailedByUnload));
  }

  /** The graph at one row, against which requests' inputs are checked. */
  ModelGraph graphOne() {
    return compiled(1).graph();
  }
}
