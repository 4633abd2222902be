package dev.braid.gpu.engine;

import dev.braid.config.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.exec.ModelRequest;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.device.trace.LaunchTracer;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.batch.Batch;
import dev.braid.gpu.batch.Rejected;
import dev.braid.gpu.batch.Request;
import dev.braid.gpu.cost.CostModel;
import dev.braid.gpu.sched.Job;
import dev.braid.gpu.sched.PlannedLaunch;
import dev.braid.gpu.sched.SchedulingPolicies;
import dev.braid.gpu.sched.SpaceTimeScheduler;
import dev.braid.model.repo.RepositoryModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The glue between the batchers, the {@link SpaceTimeScheduler} and one {@link Device}: written
 * once and driven by the GPU actor, by a virtual-time loop over a {@link SimulatedDevice} and by a
 * real-time loop over the CPU device.
 *
 * <p><b>Threading.</b> Confined to its owner's thread: every public method must be called there,
 * and every device stage it waits on comes back through the injected {@link Mailbox} to that
 * thread. It never blocks on the device. Time comes from the injected {@link NanoClock} (the
 * simulator's clock on a simulated device). A callback (a reply, a load result) that calls back
 * into the engine is queued and runs once the current call returns, so callbacks may submit.
 *
 * <p><b>A request's life.</b> submitted -> checked (model loaded, inputs fit) -> queued in its
 * model's {@code DynamicBatcher} -> released in a batch of {@code b <= max_batch_size} rows ->
 * inputs stacked along dimension 0 and a {@link ModelRequest} started on the model compiled at
 * {@code b} -> admitted to the scheduler as a {@link Job} of the plan at {@code b} -> its ops
 * launched as the policy plans them, alone or inside super-kernels ({@link GroupedLaunch}) ->
 * outputs downloaded and split back by rows -> answered. Every submitted request is answered
 * exactly once, with outputs or an {@link InferError}: a deadline that passes while queued or
 * between kernels (or that the job's remaining kernels can no longer meet, by the cost model), an
 * unload, a drain, or a device failure (the batch's arena is then aborted).
 *
 * <p><b>Health.</b> healthy -> unhealthy, never back. A failed launch fails the requests of every
 * job in it with the device's message (which names the kernel and the CUDA code on a GPU). After
 * any device failure (a launch, a batch's start or its download), if {@link Device#healthy()} is
 * false, the engine answers every request it holds and
 * every load in progress {@link InferError#DEVICE_UNHEALTHY} at once, naming the device and its
 * last failure, without waiting on stages still out (they may never complete); from then on it
 * refuses new requests and loads with that reason, answers unloads and drains at once, and reports
 * it in {@link EngineStats}.
 *
 * <p><b>Events.</b> Every event (a submission, a timer, a completion) ends in one pump: release
 * the batches due, expire late jobs, ask the scheduler for launches and issue them, and ask the
 * owner for a wakeup at the batchers' next deadline or at the end of a hold the scheduler decided
 * (kernels held back for fusion partners, {@link SpaceTimeScheduler#holdWakeNanos()}), whichever
 * comes first ({@link WakeupTimer}).
 *
 * <p><b>Cost model.</b> At load, the cost model learns the model at batch 1: from the simulator's
 * timing model on a {@link SimulatedDevice} (and at each batch size when first compiled there), or
 * by timing each op {@link GpuSettings#profilingRuns()} times on other devices (asynchronously;
 * the model serves once that is done). While serving, every single-op launch that had the device
 * to itself is recorded, since only those measure the op rather than its neighbours.
 *
 * <p><b>Collaborators.</b> The engine is the facade and the pump; the work is theirs: {@link
 * ModelTable} (models by name, loading) with {@link Profiler} (load-time profiling), {@link
 * Answers} (requests held, each answered once), {@link Jobs} (batches from start to answer, with
 * {@link InputRows} stacking and splitting rows), {@link Launcher} (planned launches onto the
 * device) and {@link EngineLoop} (one action at a time, callbacks deferred).
 */
public final class GpuEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  private final Device device;
  private final NanoClock clock;
  private final WakeupTimer timer;
  private final CostModel cost;
  private final SpaceTimeScheduler scheduler;
  private final EngineLoop loop;
  private final Answers answers = new Answers();
  private final ModelTable models;
  private final Jobs jobs;
  private final Launcher launcher;
  private final int maxBatchesInFlightPerModel;
  private final List<Runnable> drainWaiters = new ArrayList<>();
  private boolean draining;
  private EngineListener listener = EngineListener.NONE;
  private boolean closed;
  /** The last device failure's message, kept to say why the device went unhealthy. */
  private String lastDeviceFailure;
  /** Why the device is unhealthy; null while it is healthy. */
  private String unhealthyReason;
  private long wakeRequestedNanos = Long.MAX_VALUE;

  /**
   * @param device the device to drive; the engine creates its streams but does not close it
   * @param clock the time every deadline and measurement is on
   * @param mailbox brings device completions back to the owner's thread
   * @param timer asks the owner for {@link #onWakeup()} calls
   */
  public GpuEngine(Device device, GpuSettings settings, NanoClock clock, Mailbox mailbox, WakeupTimer timer) {
    this.device = Objects.requireNonNull(device, "device");
    Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.loop = new EngineLoop(Objects.requireNonNull(mailbox, "mailbox"));
    this.timer = Objects.requireNonNull(timer, "timer");
    this.maxBatchesInFlightPerModel = settings.maxBatchesInFlightPerModel();
    this.cost = new CostModel(device.info().gpu(), CostModel.DEFAULT_LAUNCH_OVERHEAD);
    this.scheduler = new SpaceTimeScheduler(settings.schedulerConfig(device.info().gpu()), cost,
        SchedulingPolicies.named(settings.policy()));
    Profiler profiler = new Profiler(device, clock, loop, cost);
    this.models = new ModelTable(device, settings.profilingRuns(), profiler, this::pump);
    this.jobs = new Jobs(device, clock, loop, scheduler, cost, answers, profiler,
        () -> closed || unhealthyReason != null, this::pump, this::onDeviceFailed);
    this.launcher = new Launcher(device, settings.streamPriorities(), clock, loop, scheduler, cost, jobs, this::pump,
        this::onDeviceFailed);
  }

  /**
   * Announces every launch from now on to {@code tracer} with what it is for (models, jobs,
   * requests, members), for a device timeline ({@code dev.braid.device.trace}); null stops. A
   * device that is itself a {@link LaunchTracer} (a {@code TracingDevice}) is announced to without
   * this call.
   */
  public void traceLaunches(LaunchTracer tracer) {
    launcher.tracer(tracer);
  }

  /** Tells {@code l} of batches, launches and faults from now on (metrics); {@link EngineListener#NONE} stops. */
  public void listen(EngineListener l) {
    listener = Objects.requireNonNull(l, "listener");
    jobs.listener = l;
    launcher.listener = l;
  }

  /** Who {@link #listen} named; {@link EngineListener#NONE} by default. */
  public EngineListener listener() {
    return listener;
  }

  /**
   * An engine driven by a virtual-time loop on {@code sim}'s thread: the simulator's clock, stages
   * delivered as the simulator completes them, wakeups as simulator events.
   */
  public static GpuEngine onSimulator(SimulatedDevice sim, GpuSettings settings) {
    GpuEngine[] self = new GpuEngine[1];
    self[0] = new GpuEngine(sim, settings, sim.clock(), Mailbox.direct(),
        at -> sim.schedule(Math.max(at, sim.clock().nanoTime()), () -> self[0].onWakeup()));
    return self[0];
  }

  /**
   * An engine owned by {@code owner}, a single-threaded executor on which every call to it must
   * run: the system clock, stages and wakeups delivered through {@code owner}.
   */
  public static GpuEngine onExecutor(Device device, GpuSettings settings, ScheduledExecutorService owner) {
    NanoClock clock = NanoClock.system();
    GpuEngine[] self = new GpuEngine[1];
    self[0] = new GpuEngine(device, settings, clock, Mailbox.via(owner),
        at -> owner.schedule(() -> self[0].onWakeup(), Math.max(0, at - clock.nanoTime()), TimeUnit.NANOSECONDS));
    return self[0];
  }

  public Device device() {
    return device;
  }

  public NanoClock clock() {
    return clock;
  }

  /** The cost model the scheduler plans with; read-only use outside the engine. */
  public CostModel costModel() {
    return cost;
  }

  public String policy() {
    return scheduler.policy().name();
  }

  /** The models loaded and serving, in load order. */
  public List<String> models() {
    return models.names();
  }

  public boolean isDraining() {
    return draining;
  }

  /**
   * False once the device reported itself unhealthy after a failure: every request held then was
   * answered {@link InferError#DEVICE_UNHEALTHY} and new work is refused with it. It stays false.
   */
  public boolean isHealthy() {
    return unhealthyReason == null;
  }

  /** Why the device is unhealthy (it and its failure); empty while it is healthy. */
  public String unhealthyReason() {
    return unhealthyReason == null ? "" : unhealthyReason;
  }

  /** True when nothing is queued, started or on the device. */
  public boolean isIdle() {
    return jobs.size() == 0 && launcher.inFlight() == 0 && models.all().stream().allMatch(s -> s.batcher.size() == 0);
  }

  // ---- commands ----

  /**
   * Loads {@code model} under {@code name}: binds and compiles it at batch 1, or at its declared
   * shapes when it does not batch (which checks that it runs here), profiles it (its last profiling
   * run downloads the outputs, so a model that cannot answer is refused here), and then answers {@code done} with {@link LoadResult.Loaded}; any
   * error of the model's answers {@link LoadResult.LoadError} with the model's own message. Larger
   * batch sizes compile on first use, sharing the weights.
   */
  public void load(String name, RepositoryModel model, Consumer<LoadResult> done) {
    loop.enter(() -> {
      if (unhealthyReason != null) {
        done.accept(new LoadResult.LoadError(name, "cannot load model '" + name + "': " + unhealthyReason));
        return;
      }
      if (draining || closed) {
        done.accept(new LoadResult.LoadError(name, "cannot load model '" + name + "': the GPU is "
            + (closed ? "closed" : "draining")));
        return;
      }
      models.load(name, model, done);
    });
  }

  /**
   * Unloads model {@code name}: its queued and started requests are answered {@link
   * InferError#UNLOADED} at once; when its launches still on the device have settled, its weights
   * are freed and {@code done} is answered.
   */
  public void unload(String name, Consumer<Unloaded> done) {
    loop.enter(() -> {
      ModelSlot slot = models.remove(name);
      if (slot == null) {
        done.accept(new Unloaded(name, false, 0));
        return;
      }
      slot.unloading = true;
      slot.onUnloaded = done;
      String why = "model '" + name + "' was unloaded";
      for (Rejected r : slot.batcher.takeRejected()) {
        answers.failLate(r);
      }
      for (Request r : slot.batcher.removeAll()) {
        slot.requestsFailedByUnload += answers.fail(answers.get(r.id()), InferError.UNLOADED, why) ? 1 : 0;
      }
      jobs.unload(slot, why);
      LOG.info("model '{}' unloading: {} request(s) answered UNLOADED", name, slot.requestsFailedByUnload);
      slot.freeIfUnloaded();
      if (unhealthyReason != null) {
        slot.answerUnload();
      }
      pump();
    });
  }

  /** Submits one request; its {@link InferRequest#reply()} is called exactly once. */
  public void submit(InferRequest request) {
    Objects.requireNonNull(request, "request");
    loop.enter(() -> {
      Pending p = answers.register(request, clock.nanoTime());
      if (unhealthyReason != null) {
        answers.fail(p, InferError.DEVICE_UNHEALTHY, "model '" + request.model() + "': " + unhealthyReason);
        return;
      }
      if (closed || draining) {
        answers.fail(p, InferError.DRAINING, "model '" + request.model() + "': the GPU is "
            + (closed ? "closed" : "draining") + " and takes no new work");
        return;
      }
      ModelSlot slot = models.serving(request.model());
      if (slot == null) {
        answers.fail(p, InferError.UNKNOWN_MODEL, "model '" + request.model() + "' is "
            + (models.get(request.model()) == null ? "not loaded" : "still loading") + "; loaded models: " + models());
        return;
      }
      try {
        p.rows = InputRows.check(slot, request.inputs());
        slot.batcher.offer(new Request(p.id, p.arrivalNanos, request.deadlineNanos(), request.priorityLevel(), p.rows),
            p.arrivalNanos);
      } catch (IllegalArgumentException e) {
        answers.fail(p, InferError.INVALID_INPUT, e.getMessage());
        return;
      }
      pump();
    });
  }

  /**
   * Switches the scheduling policy; launches in flight finish as planned.
   *
   * @throws IllegalArgumentException naming the bad name and the valid ones
   */
  public void setPolicy(String name) {
    scheduler.setPolicy(SchedulingPolicies.named(name));
    LOG.info("scheduling policy set to {}", name);
    loop.enter(this::pump);
  }

  /** The owner's timer fired: release the batches due and expire late requests. */
  public void onWakeup() {
    loop.enter(() -> {
      wakeRequestedNanos = Long.MAX_VALUE;
      pump();
    });
  }

  /**
   * Stops taking new work (submissions and loads are refused from now on), releases every queued
   * request at once without waiting for fuller batches, and runs {@code done} when nothing is left
   * queued, started or on the device. The engine stays draining.
   */
  public void drain(Runnable done) {
    loop.enter(() -> {
      if (!draining) {
        LOG.info("draining: {} request(s) waiting", answers.held());
      }
      draining = true;
      drainWaiters.add(done);
      pump();
    });
  }

  /**
   * When a batch-1 request of {@code model} submitted at {@code nowNanos} would finish, by the cost
   * model: {@code now + work ahead + its own ops}, the work ahead being {@link #predictQueueNanos()}.
   * Space-time overlaps that work, so this errs late, which suits admission control. It does not
   * add the batcher's queue delay.
   *
   * @throws IllegalArgumentException if the model is not loaded
   */
  public long predictFinishNanos(String model, long nowNanos) {
    return cost.predictFinishNanos(nowNanos, servingSlot(model).plan(1), 0, predictQueueNanos());
  }

  /**
   * Predicted device time of one batch-1 request of {@code model} with the device to itself: its
   * ops at batch 1 back to back, by the cost model (measured where measured, else the roofline).
   *
   * @throws IllegalArgumentException if the model is not loaded
   */
  public long predictRequestNanos(String model) {
    return cost.predictRemainingNanos(servingSlot(model).plan(1), 0);
  }

  /**
   * Device time the work held still needs, by the cost model: the predicted remaining time of every
   * started batch plus one batch-1 run per model with requests queued, all taken as running back to
   * back.
   */
  public long predictQueueNanos() {
    long ahead = jobs.predictRemainingNanos();
    for (ModelSlot s : models.all()) {
      if (s.ready && s.batcher.size() > 0) {
        ahead += cost.predictRemainingNanos(s.plan(1), 0);
      }
    }
    return ahead;
  }

  private ModelSlot servingSlot(String model) {
    ModelSlot slot = models.serving(model);
    if (slot == null) {
      throw new IllegalArgumentException("model '" + model + "' is not loaded; loaded models: " + models());
    }
    return slot;
  }

  /** Per model that specializes on shape-defining inputs, its plan cache's counters, in load order. */
  public Map<String, SpecializationCounts> specializations() {
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

  public EngineStats stats() {
    long now = clock.nanoTime();
    Map<String, Integer> queued = new LinkedHashMap<>();
    for (ModelSlot s : models.all()) {
      queued.put(s.name, s.batcher.size());
    }
    return new EngineStats(policy(), now, models(), answers.submitted(), answers.completed(), answers.failed(),
        answers.rejected(), answers.failures(), jobs.batches(), launcher.launches(), launcher.superKernels(),
        launcher.superKernelOps(), launcher.superKernelSizes(), queued, jobs.size(), launcher.inFlight(),
        launcher.busyNanos(now), allocatedBytes(), isHealthy(), unhealthyReason());
  }

  /** The device's memory in use, or -1 where a device that lost its context cannot say. */
  private long allocatedBytes() {
    try {
      return device.allocatedBytes();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  /**
   * Answers every request still held {@link InferError#UNLOADED}, refuses new work and frees the
   * weights of every model with nothing on the device. The device itself stays open (its owner
   * closes it, which frees the rest).
   */
  @Override
  public void close() {
    loop.enter(() -> {
      closed = true;
      for (String name : models.all().stream().map(s -> s.name).toList()) {
        unload(name, u -> { });
      }
    });
  }

  /**
   * Gives the engine up after an unexpected exception left its state in doubt (its owner is about
   * to restart with a fresh engine): answers every request held {@link InferError#INTERNAL} with
   * {@code why}, every load in progress with a {@link LoadResult.LoadError}, every pending unload
   * and drain, at once, without entering the loop (whose deferred actions may be what threw) and
   * without waiting on any stage. From then on the engine is closed. Returns how many requests this
   * answered.
   */
  public int abandon(String why) {
    closed = true;
    int failed = answers.failEveryone(InferError.INTERNAL, why);
    models.failLoading(why);
    for (ModelSlot slot : List.copyOf(models.all())) {
      slot.answerUnload();
    }
    jobs.answerUnloads();
    List<Runnable> waiters = List.copyOf(drainWaiters);
    drainWaiters.clear();
    waiters.forEach(Runnable::run);
    return failed;
  }

  // ---- the pump ----

  /**
   * One turn after every event: release the batches due (all queued ones while draining) and start
   * them, expire late jobs, issue what the scheduler plans, re-arm the timer, answer drain waiters.
   */
  private void pump() {
    if (unhealthyReason != null) {
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

  /**
   * After the requests a device failure touched were answered with it: if the device is now
   * unhealthy, that failure is why. Health is checked here rather than on every event because a
   * device turns unhealthy on its own thread before its failed stage reaches the engine, and the
   * reason must name the failure (the kernel and the CUDA code), not just the state.
   */
  private void onDeviceFailed(Throwable cause) {
    listener.deviceFault();
    lastDeviceFailure = Failures.message(cause);
    if (unhealthyReason == null && !device.healthy()) {
      becomeUnhealthy();
    }
  }

  /**
   * The device lost its context: answers every request held (queued, starting, running or
   * downloading) and every load in progress at once with the reason, without waiting on any stage
   * (a stage of a device in this state may fail fast or never complete), and answers pending
   * unloads. From now on new work is refused at once.
   */
  private void becomeUnhealthy() {
    unhealthyReason = "device " + device.info().name() + " is unhealthy and takes no work: "
        + "after " + lastDeviceFailure;
    int failed = 0;
    for (ModelSlot slot : List.copyOf(models.all())) {
      for (Rejected r : slot.batcher.takeRejected()) {
        answers.failLate(r);
      }
      for (Request r : slot.batcher.removeAll()) {
        failed += answers.fail(answers.get(r.id()), InferError.DEVICE_UNHEALTHY,
            "model '" + slot.name + "': " + unhealthyReason) ? 1 : 0;
      }
    }
    failed += jobs.failAll(InferError.DEVICE_UNHEALTHY, unhealthyReason);
    models.failLoading(unhealthyReason);
    for (ModelSlot slot : List.copyOf(models.all())) {
      if (slot.unloading) {
        slot.answerUnload();
      }
    }
    LOG.warn("{}; {} request(s) answered DEVICE_UNHEALTHY", unhealthyReason, failed);
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
    boolean settled = unhealthyReason != null
        || (isIdle() && models.all().stream().noneMatch(s -> s.live > 0));
    if (!draining || drainWaiters.isEmpty() || !settled) {
      return;
    }
    List<Runnable> waiters = List.copyOf(drainWaiters);
    drainWaiters.clear();
    // Requests per batch tells an operator (and a benchmark) whether batches formed.
    LOG.info("drained: {} request(s) answered in {} batch(es) since start", answers.completed() + answers.failed(),
        jobs.batches());
    waiters.forEach(Runnable::run);
  }
}
