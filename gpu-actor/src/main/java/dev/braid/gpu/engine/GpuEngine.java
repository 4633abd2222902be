package dev.braid.gpu.engine;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.exec.ModelRun;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.device.trace.LaunchTracer;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.batch.Request;
import dev.braid.gpu.cost.CostModel;
import dev.braid.gpu.sched.Job;
import dev.braid.gpu.sched.SchedulingPolicies;
import dev.braid.gpu.sched.SpaceTimeScheduler;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.FailureReason;
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
 * inputs stacked along dimension 0 and a {@link ModelRun} started on the model compiled at
 * {@code b} -> admitted to the scheduler as a {@link Job} of the plan at {@code b} -> its ops
 * launched as the policy plans them, alone or inside super-kernels ({@link GroupedLaunch}) ->
 * outputs downloaded and split back by rows -> answered. Every submitted request is answered
 * exactly once, with outputs or an {@link FailureReason}: a deadline that passes while queued or
 * between kernels (or that the job's remaining kernels can no longer meet, by the cost model), an
 * unload, a drain, or a device failure (the batch's arena is then aborted).
 *
 * <p><b>Health</b> ({@link EngineHealth}): healthy -> unhealthy, never back. A failed launch fails
 * the requests of every job in it with the device's message (which names the kernel and the CUDA
 * code on a GPU). After any device failure, if {@link Device#healthy()} is false, every request and
 * load held is answered {@link FailureReason#DEVICE_UNHEALTHY} at once, naming the device and its last
 * failure; from then on new requests and loads are refused with that reason, unloads and drains
 * answered at once, and {@link EngineStats} reports it.
 *
 * <p><b>Events.</b> Every event (a submission, a timer, a completion) ends in one turn of the
 * {@link EnginePump}: release the batches due, expire late jobs, issue what the scheduler plans,
 * re-arm the owner's {@link WakeupTimer}.
 *
 * <p><b>Cost model.</b> At load, the cost model learns the model at batch 1: from the simulator's
 * timing model on a {@link SimulatedDevice} (and at each batch size when first compiled there), or
 * by timing each op {@link GpuSettings#profilingRuns()} times on other devices (asynchronously;
 * the model serves once that is done). While serving, every single-op launch that had the device
 * to itself is recorded, since only those measure the op rather than its neighbours.
 *
 * <p><b>Collaborators.</b> The engine is the facade; the work is theirs: {@link ModelTable} (models
 * by name, loading) with {@link Profiler} (load-time profiling), {@link Answers} (requests held,
 * each answered once), {@link Jobs} (batches from start to answer, with {@link InputRows} stacking
 * and splitting rows), {@link Launcher} (planned launches onto the device), {@link EnginePump} (the
 * turn after each event, the drain), {@link EngineHealth}, {@link EngineLoop} (one action at a time,
 * callbacks deferred) and {@link EngineReadout} (stats).
 */
public final class GpuEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  private final Device device;
  private final NanoClock clock;
  private final CostModel cost;
  private final SpaceTimeScheduler scheduler;
  private final EngineLoop loop;
  private final Answers answers = new Answers();
  private final ModelTable models;
  private final Jobs jobs;
  private final Launcher launcher;
  private final EngineHealth health;
  private final EnginePump pump;
  private final WorkAhead workAhead;
  private final EngineReadout readout;
  private EngineListener listener = EngineListener.NONE;
  private boolean closed;

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
    Objects.requireNonNull(timer, "timer");
    this.health = new EngineHealth(device);
    this.cost = new CostModel(device.info().gpu(), CostModel.DEFAULT_LAUNCH_OVERHEAD);
    this.scheduler = new SpaceTimeScheduler(settings.schedulerConfig(device.info().gpu()), cost,
        SchedulingPolicies.named(settings.policy()));
    Profiler profiler = new Profiler(device, clock, loop, cost);
    this.models = new ModelTable(device, settings.profilingRuns(), profiler, this::pump);
    this.jobs = new Jobs(device, clock, loop, scheduler, cost, answers, profiler,
        () -> closed || !health.isHealthy(), this::pump, this::onDeviceFailed);
    this.launcher = new Launcher(device, settings.streamPriorities(), clock, loop, scheduler, cost, jobs, this::pump,
        this::onDeviceFailed);
    this.pump = new EnginePump(clock, timer, scheduler, models, jobs, launcher, answers, health,
        settings.maxBatchesInFlightPerModel());
    this.workAhead = new WorkAhead(cost, models, jobs);
    this.readout = new EngineReadout(device, clock, scheduler, models, answers, jobs, launcher, health);
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
    return pump.isDraining();
  }

  /**
   * False once the device reported itself unhealthy after a failure: every request held then was
   * answered {@link FailureReason#DEVICE_UNHEALTHY} and new work is refused with it. It stays false.
   */
  public boolean isHealthy() {
    return health.isHealthy();
  }

  /** Why the device is unhealthy (it and its failure); empty while it is healthy. */
  public String unhealthyReason() {
    return health.reason();
  }

  /** True when nothing is queued, started or on the device. */
  public boolean isIdle() {
    return pump.isIdle();
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
      if (!health.isHealthy()) {
        done.accept(new LoadResult.LoadError(name, "cannot load model '" + name + "': " + health.reason()));
        return;
      }
      if (pump.isDraining() || closed) {
        done.accept(new LoadResult.LoadError(name, "cannot load model '" + name + "': the GPU is "
            + (closed ? "closed" : "draining")));
        return;
      }
      models.load(name, model, done);
    });
  }

  /**
   * Unloads model {@code name}: its queued and started requests are answered {@link
   * FailureReason#UNLOADED} at once; when its launches still on the device have settled, its weights
   * are freed and {@code done} is answered.
   */
  public void unload(String name, Consumer<Unloaded> done) {
    loop.enter(() -> {
      if (models.unload(name, done, answers, jobs, health.isHealthy())) {
        pump();
      }
    });
  }

  /** Submits one request; its {@link InferRequest#reply()} is called exactly once. */
  public void submit(InferRequest request) {
    Objects.requireNonNull(request, "request");
    loop.enter(() -> {
      Pending p = answers.register(request, clock.nanoTime());
      if (!health.isHealthy()) {
        answers.fail(p, FailureReason.DEVICE_UNHEALTHY, "model '" + request.model() + "': " + health.reason());
        return;
      }
      if (closed || pump.isDraining()) {
        answers.fail(p, FailureReason.DRAINING, "model '" + request.model() + "': the GPU is "
            + (closed ? "closed" : "draining") + " and takes no new work");
        return;
      }
      ModelSlot slot = models.serving(request.model());
      if (slot == null) {
        answers.fail(p, FailureReason.UNKNOWN_MODEL, models.whyNotServing(request.model()));
        return;
      }
      try {
        p.rows = InputRows.check(slot, request.inputs());
        slot.batcher.offer(new Request(p.id, p.arrivalNanos, request.deadlineNanos(), request.priorityLevel(), p.rows),
            p.arrivalNanos);
      } catch (IllegalArgumentException e) {
        answers.fail(p, FailureReason.INVALID_INPUT, e.getMessage());
        return;
      }
      pump();
    });
  }

  /**
   * Withdraws {@code request}, submitted earlier, whose client gave up: it is answered {@link
   * FailureReason#CANCELLED} with {@code why} at once (unless answered already) and never reaches
   * the device unless its batch has launched a kernel already ({@link Cancels}).
   */
  public void cancel(InferRequest request, String why) {
    loop.enter(() -> {
      listener.cancelReceived(request.model(), request.requestId(), jobs.stageOf(answers.held(request)));
      if (answers.cancel(request, why)) {
        jobs.withdrawAnswered();
        pump();
      }
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
    loop.enter(pump::wokeUp);
  }

  /**
   * Stops taking new work (submissions and loads are refused from now on), releases every queued
   * request at once without waiting for fuller batches, and runs {@code done} when nothing is left
   * queued, started or on the device. The engine stays draining.
   */
  public void drain(Runnable done) {
    loop.enter(() -> pump.drain(done));
  }

  /**
   * When a batch-1 request of {@code model} submitted at {@code nowNanos} would finish, by the cost
   * model ({@link WorkAhead#finishNanos}).
   *
   * @throws IllegalArgumentException if the model is not loaded
   */
  public long predictFinishNanos(String model, long nowNanos) {
    return workAhead.finishNanos(model, nowNanos);
  }

  /**
   * Predicted device time of one batch-1 request of {@code model} with the device to itself
   * ({@link WorkAhead#requestNanos}).
   *
   * @throws IllegalArgumentException if the model is not loaded
   */
  public long predictRequestNanos(String model) {
    return workAhead.requestNanos(model);
  }

  /** Device time the work held still needs, by the cost model ({@link WorkAhead#queueNanos}). */
  public long predictQueueNanos() {
    return workAhead.queueNanos();
  }

  /** Per model that specializes on shape-defining inputs, its plan cache's counters, in load order. */
  public Map<String, SpecializationCounts> specializations() {
    return readout.specializations();
  }

  public EngineStats stats() {
    return readout.stats();
  }

  /**
   * Answers every request still held {@link FailureReason#UNLOADED}, refuses new work and frees the
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
   * to restart with a fresh engine): answers every request held {@link FailureReason#INTERNAL} with
   * {@code why}, every load in progress with a {@link LoadResult.LoadError}, every pending unload
   * and drain, at once, without entering the loop (whose deferred actions may be what threw) and
   * without waiting on any stage. From then on the engine is closed. Returns how many requests this
   * answered.
   */
  public int abandon(String why) {
    closed = true;
    int failed = answers.failEveryone(FailureReason.INTERNAL, why);
    models.abandon(why);
    jobs.answerUnloads();
    pump.answerDrainWaiters();
    return failed;
  }

  // ---- the pump and health ----

  /** One turn of {@link EnginePump} (see the class comment). */
  private void pump() {
    pump.run();
  }

  /** After the requests a device failure touched were answered with it: see {@link EngineHealth#failed}. */
  private void onDeviceFailed(Throwable cause) {
    listener.deviceFault();
    if (health.failed(cause)) {
      health.failEverything(models, answers, jobs);
    }
  }
}
