package dev.braid.gpu.engine;

import dev.braid.config.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelRequest;
import dev.braid.device.exec.Step;
import dev.braid.device.plan.KernelPlan;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.batch.Batch;
import dev.braid.gpu.batch.Rejected;
import dev.braid.gpu.batch.Request;
import dev.braid.gpu.cost.CostModel;
import dev.braid.gpu.sched.FailedJob;
import dev.braid.gpu.sched.FailureReason;
import dev.braid.gpu.sched.Job;
import dev.braid.gpu.sched.OpRef;
import dev.braid.gpu.sched.PlannedLaunch;
import dev.braid.gpu.sched.SchedulingPolicies;
import dev.braid.gpu.sched.Settled;
import dev.braid.gpu.sched.SpaceTimeScheduler;
import dev.braid.model.Tensor;
import dev.braid.model.repo.RepositoryModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
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
 * between kernels (or that the job's remaining kernels can no longer meet, by the cost model), an unload, a drain, or a device failure (the batch's arena is then aborted).
 *
 * <p><b>Events.</b> Every event (a submission, a timer, a completion) ends in one pump: release
 * the batches due, expire late jobs, ask the scheduler for launches and issue them, and ask the
 * owner for a wakeup at the batchers' next deadline ({@link WakeupTimer}).
 *
 * <p><b>Cost model.</b> At load, the cost model learns the model at batch 1: from the simulator's
 * timing model on a {@link SimulatedDevice} (and at each batch size when first compiled there), or
 * by timing each op {@link GpuSettings#profilingRuns()} times on other devices (asynchronously;
 * the model serves once that is done). While serving, every single-op launch that had the device
 * to itself is recorded, since only those measure the op rather than its neighbours.
 */
public final class GpuEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  private final Device device;
  private final NanoClock clock;
  private final Mailbox mailbox;
  private final WakeupTimer timer;
  private final GpuSettings settings;
  private final CostModel cost;
  private final SpaceTimeScheduler scheduler;
  private final List<DeviceStream> streams = new ArrayList<>();
  private final Map<String, ModelSlot> models = new LinkedHashMap<>();
  private final Map<Long, Pending> requests = new LinkedHashMap<>();
  /** Batches started, not yet answered: starting, admitted to the scheduler, or finishing. */
  private final Map<Long, JobRun> runs = new LinkedHashMap<>();
  private final Map<Long, LaunchRun> launchesInFlight = new LinkedHashMap<>();
  private final ArrayDeque<Runnable> deferred = new ArrayDeque<>();
  private final List<Runnable> drainWaiters = new ArrayList<>();
  private boolean inside;
  private boolean draining;
  private boolean closed;
  private long nextRequestId = 1;
  private long nextJobId = 1;
  private long wakeRequestedNanos = Long.MAX_VALUE;
  private long busySinceNanos;
  // counters for stats()
  private long submitted;
  private long completed;
  private long rejected;
  private final Map<InferError, Long> failures = new EnumMap<>(InferError.class);
  private long batches;
  private long launches;
  private long superKernels;
  private long superKernelOps;
  private final Map<Integer, Long> superKernelSizes = new TreeMap<>();
  private long busyNanos;

  /**
   * @param device the device to drive; the engine creates its streams but does not close it
   * @param clock the time every deadline and measurement is on
   * @param mailbox brings device completions back to the owner's thread
   * @param timer asks the owner for {@link #onWakeup()} calls
   */
  public GpuEngine(Device device, GpuSettings settings, NanoClock clock, Mailbox mailbox, WakeupTimer timer) {
    this.device = Objects.requireNonNull(device, "device");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.mailbox = Objects.requireNonNull(mailbox, "mailbox");
    this.timer = Objects.requireNonNull(timer, "timer");
    this.cost = new CostModel(device.info().gpu(), CostModel.DEFAULT_LAUNCH_OVERHEAD);
    this.scheduler = new SpaceTimeScheduler(settings.schedulerConfig(device.info().gpu()), cost,
        SchedulingPolicies.named(settings.policy()));
    for (int priority : settings.streamPriorities()) {
      streams.add(device.createStream(priority));
    }
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
    return models.values().stream().filter(s -> s.ready).map(s -> s.name).toList();
  }

  public boolean isDraining() {
    return draining;
  }

  /** True when nothing is queued, started or on the device. */
  public boolean isIdle() {
    return runs.isEmpty() && launchesInFlight.isEmpty() && models.values().stream().allMatch(s -> s.batcher.size() == 0);
  }

  // ---- commands ----

  /**
   * Loads {@code model} under {@code name}: binds and compiles it at batch 1 (which checks that it
   * runs here), profiles it, and then answers {@code done} with {@link LoadResult.Loaded}; any
   * error of the model's answers {@link LoadResult.LoadError} with the model's own message. Larger
   * batch sizes compile on first use, sharing the weights.
   */
  public void load(String name, RepositoryModel model, Consumer<LoadResult> done) {
    enter(() -> {
      if (draining || closed) {
        done.accept(new LoadResult.LoadError(name, "cannot load model '" + name + "': the GPU is "
            + (closed ? "closed" : "draining")));
        return;
      }
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
        done.accept(new LoadResult.LoadError(name, message(e)));
        return;
      }
      try {
        slot.compiled(1);
      } catch (RuntimeException e) {
        slot.weights.close();
        LOG.info("model '{}' failed to load: {}", name, message(e));
        done.accept(new LoadResult.LoadError(name, message(e)));
        return;
      }
      models.put(name, slot);
      Runnable ready = () -> {
        slot.ready = true;
        LOG.info("model '{}' version {} loaded: {} ops at batch 1, {} weight bytes", name, model.latestVersion(),
            slot.plan(1).size(), slot.weights.residentBytes());
        done.accept(new LoadResult.Loaded(name, model.latestVersion(), slot.maxBatchSize,
            slot.weights.residentBytes()));
        pump();
      };
      if (device instanceof SimulatedDevice sim) {
        profileFromTimingModel(sim, slot, 1);
        ready.run();
      } else if (settings.profilingRuns() == 0) {
        ready.run();
      } else {
        slot.live++;
        profileRun(slot, settings.profilingRuns(), ready, done);
      }
    });
  }

  /**
   * Unloads model {@code name}: its queued and started requests are answered {@link
   * InferError#UNLOADED} at once; when its launches still on the device have settled, its weights
   * are freed and {@code done} is answered.
   */
  public void unload(String name, Consumer<Unloaded> done) {
    enter(() -> {
      ModelSlot slot = models.remove(name);
      if (slot == null) {
        done.accept(new Unloaded(name, false, 0));
        return;
      }
      slot.unloading = true;
      slot.onUnloaded = done;
      String why = "model '" + name + "' was unloaded";
      for (Rejected r : slot.batcher.takeRejected()) {
        failLate(r);
      }
      for (Request r : slot.batcher.removeAll()) {
        slot.requestsFailedByUnload += fail(requests.get(r.id()), InferError.UNLOADED, why) ? 1 : 0;
      }
      for (JobRun run : List.copyOf(runs.values())) {
        if (run.slot != slot) {
          continue;
        }
        for (Pending p : run.members) {
          slot.requestsFailedByUnload += fail(p, InferError.UNLOADED, why) ? 1 : 0;
        }
        if (run.admitted) {
          // an op in flight settles first (CANCELLED then); a waiting job leaves now
          scheduler.cancel(run.id).ifPresent(f -> abandon(run));
        }
      }
      LOG.info("model '{}' unloading: {} request(s) answered UNLOADED", name, slot.requestsFailedByUnload);
      checkUnloaded(slot);
      pump();
    });
  }

  /** Submits one request; its {@link InferRequest#reply()} is called exactly once. */
  public void submit(InferRequest request) {
    Objects.requireNonNull(request, "request");
    enter(() -> {
      submitted++;
      Pending p = new Pending(nextRequestId++, request, 0, clock.nanoTime());
      requests.put(p.id, p);
      if (closed || draining) {
        fail(p, InferError.DRAINING, "model '" + request.model() + "': the GPU is " + (closed ? "closed" : "draining")
            + " and takes no new work");
        return;
      }
      ModelSlot slot = models.get(request.model());
      if (slot == null || !slot.ready) {
        fail(p, InferError.UNKNOWN_MODEL, "model '" + request.model() + "' is "
            + (slot == null ? "not loaded" : "still loading") + "; loaded models: " + models());
        return;
      }
      try {
        p.rows = InputRows.check(slot, request.inputs());
        slot.batcher.offer(new Request(p.id, p.arrivalNanos, request.deadlineNanos(), request.priorityLevel(), p.rows),
            p.arrivalNanos);
      } catch (IllegalArgumentException e) {
        fail(p, InferError.INVALID_INPUT, e.getMessage());
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
    enter(this::pump);
  }

  /** The owner's timer fired: release the batches due and expire late requests. */
  public void onWakeup() {
    enter(() -> {
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
    enter(() -> {
      if (!draining) {
        LOG.info("draining: {} request(s) waiting", requests.size());
      }
      draining = true;
      drainWaiters.add(done);
      pump();
    });
  }

  /**
   * When a batch-1 request of {@code model} submitted at {@code nowNanos} would finish, by the cost
   * model: {@code now + work ahead + its own ops}, where the work ahead is the predicted remaining
   * time of every started batch plus one batch-1 run per model with requests queued, all taken as
   * running back to back. Space-time overlaps them, so this errs late, which suits admission
   * control. It does not add the batcher's queue delay.
   *
   * @throws IllegalArgumentException if the model is not loaded
   */
  public long predictFinishNanos(String model, long nowNanos) {
    ModelSlot slot = models.get(model);
    if (slot == null || !slot.ready) {
      throw new IllegalArgumentException("model '" + model + "' is not loaded; loaded models: " + models());
    }
    long ahead = 0;
    for (JobRun run : runs.values()) {
      ahead += run.admitted ? scheduler.predictRemainingNanos(run.id) : cost.predictRemainingNanos(run.plan, 0);
    }
    for (ModelSlot s : models.values()) {
      if (s.ready && s.batcher.size() > 0) {
        ahead += cost.predictRemainingNanos(s.plan(1), 0);
      }
    }
    return cost.predictFinishNanos(nowNanos, slot.plan(1), 0, ahead);
  }

  public EngineStats stats() {
    long now = clock.nanoTime();
    Map<String, Integer> queued = new LinkedHashMap<>();
    for (ModelSlot s : models.values()) {
      queued.put(s.name, s.batcher.size());
    }
    long failed = failures.values().stream().mapToLong(Long::longValue).sum();
    long busy = busyNanos + (launchesInFlight.isEmpty() ? 0 : now - busySinceNanos);
    return new EngineStats(policy(), now, models(), submitted, completed, failed, rejected, failures, batches,
        launches, superKernels, superKernelOps, superKernelSizes, queued, runs.size(), launchesInFlight.size(),
        busy, device.allocatedBytes());
  }

  /**
   * Answers every request still held {@link InferError#UNLOADED}, refuses new work and frees the
   * weights of every model with nothing on the device. The device itself stays open (its owner
   * closes it, which frees the rest).
   */
  @Override
  public void close() {
    enter(() -> {
      closed = true;
      for (String name : List.copyOf(models.keySet())) {
        unload(name, u -> { });
      }
    });
  }

  // ---- the pump ----

  private void pump() {
    long now = clock.nanoTime();
    for (ModelSlot slot : List.copyOf(models.values())) {
      if (!slot.ready) {
        continue;
      }
      List<Batch> due = new ArrayList<>(slot.batcher.drain(now));
      if (draining) {
        for (Optional<Batch> b = slot.batcher.flush(now); b.isPresent(); b = slot.batcher.flush(now)) {
          due.add(b.get());
        }
      }
      for (Rejected r : slot.batcher.takeRejected()) {
        failLate(r);
      }
      for (Batch b : due) {
        startBatch(slot, b, now);
      }
    }
    for (FailedJob f : scheduler.expire(now)) {
      JobRun run = runs.get(f.job().id());
      long left = f.job().deadlineNanos() - now;
      failRun(run, InferError.TOO_LATE, "model '" + run.slot.name + "': " + (left <= 0
          ? "deadline passed after " + f.opIndex() + " of " + run.plan.size() + " ops, " + micros(-left) + " us ago"
          : "cannot meet its deadline: " + micros(left) + " us left but " + micros(cost.predictRemainingNanos(run.plan,
              f.opIndex())) + " us of work predicted for ops " + f.opIndex() + " to " + (run.plan.size() - 1)));
    }
    for (PlannedLaunch l : scheduler.plan(now)) {
      issue(l, now);
    }
    armTimer();
    checkDrained();
  }

  private void startBatch(ModelSlot slot, Batch batch, long now) {
    List<Pending> members = new ArrayList<>();
    for (Request r : batch.requests()) {
      members.add(requests.get(r.id()));
    }
    int rows = batch.batchSize();
    CompiledModel compiled;
    KernelPlan plan;
    Map<String, Tensor> inputs;
    try {
      boolean fresh = !slot.isCompiled(rows);
      compiled = slot.compiled(rows);
      plan = slot.plan(rows);
      if (fresh && device instanceof SimulatedDevice sim) {
        profileFromTimingModel(sim, slot, rows);
      }
      inputs = slot.batching ? InputRows.stack(members, compiled.graph()) : members.get(0).request.inputs();
    } catch (RuntimeException e) {
      InferError why = e instanceof DeviceException de && de.reason() == DeviceException.Reason.OUT_OF_MEMORY
          ? InferError.OUT_OF_MEMORY : InferError.DEVICE_FAILED;
      for (Pending p : members) {
        fail(p, why, "model '" + slot.name + "' at batch " + rows + ": " + message(e));
      }
      return;
    }
    batches++;
    JobRun run = new JobRun(nextJobId++, slot, plan, members, batch);
    runs.put(run.id, run);
    slot.live++;
    mailbox.deliver(compiled.start(inputs), (request, error) -> enter(() -> onStarted(run, request, error)));
  }

  private void onStarted(JobRun run, ModelRequest request, Throwable error) {
    if (error != null) {
      Throwable cause = unwrap(error);
      failRun(run, reasonOf(cause), "model '" + run.slot.name + "': starting a batch of " + run.plan.batchSize()
          + " failed: " + message(cause));
      pump();
      return;
    }
    run.request = request;
    if (run.slot.unloading || closed) {
      abandon(run);
      return;
    }
    long now = clock.nanoTime();
    run.admitted = true;
    scheduler.admit(new Job(run.id, run.plan, run.batch.deadlineNanos(), run.batch.priority(), now));
    pump();
  }

  private void issue(PlannedLaunch planned, long now) {
    Launch launch;
    try {
      List<KernelLaunch> problems = new ArrayList<>(planned.ops().size());
      for (OpRef o : planned.ops()) {
        problems.add(runs.get(o.job().id()).request.launch(o.opIndex()));
      }
      launch = problems.size() == 1 ? problems.get(0) : new GroupedLaunch(problems);
    } catch (RuntimeException e) {
      settle(scheduler.failed(planned.launchId(), FailureReason.INVALID_LAUNCH), message(e));
      return;
    }
    launches++;
    if (planned.isSuperKernel()) {
      superKernels++;
      superKernelOps += planned.ops().size();
      superKernelSizes.merge(planned.ops().size(), 1L, Long::sum);
    }
    if (launchesInFlight.isEmpty()) {
      busySinceNanos = now;
    }
    LaunchRun lr = new LaunchRun(planned, now, !launchesInFlight.isEmpty());
    launchesInFlight.values().forEach(other -> other.shared = true);
    launchesInFlight.put(planned.launchId(), lr);
    CompletionStage<Void> stage;
    try {
      stage = device.launch(launch, streams.get(planned.stream()));
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    mailbox.deliver(stage, (v, error) -> enter(() -> onLaunched(lr, error)));
  }

  private void onLaunched(LaunchRun lr, Throwable error) {
    long now = clock.nanoTime();
    launchesInFlight.remove(lr.planned.launchId());
    if (launchesInFlight.isEmpty()) {
      busyNanos += now - busySinceNanos;
    }
    PlannedLaunch planned = lr.planned;
    if (error == null) {
      for (OpRef o : planned.ops()) {
        runs.get(o.job().id()).request.completed(o.opIndex());
      }
      if (!planned.isSuperKernel() && !lr.shared) {
        OpRef o = planned.ops().get(0);
        cost.record(o.job().model(), o.job().batchSize(), o.opIndex(), now - lr.startNanos);
      }
      settle(scheduler.completed(planned.launchId(), now), null);
    } else {
      Throwable cause = unwrap(error);
      FailureReason reason = cause instanceof DeviceException de
          ? switch (de.reason()) {
            case OUT_OF_MEMORY -> FailureReason.OUT_OF_MEMORY;
            case INVALID_ARGUMENT -> FailureReason.INVALID_LAUNCH;
            default -> FailureReason.DEVICE_FAILED;
          }
          : FailureReason.DEVICE_FAILED;
      settle(scheduler.failed(planned.launchId(), reason), message(cause));
    }
    pump();
  }

  /** Acts on what settling a launch did: finishes the finished jobs, answers the failed. */
  private void settle(Settled settled, String deviceMessage) {
    for (Job j : settled.finished()) {
      finish(runs.get(j.id()));
    }
    for (FailedJob f : settled.failed()) {
      JobRun run = runs.get(f.job().id());
      InferError why = switch (f.reason()) {
        case TOO_LATE -> InferError.TOO_LATE;
        case OUT_OF_MEMORY -> InferError.OUT_OF_MEMORY;
        case CANCELLED -> run.slot.unloading ? InferError.UNLOADED : InferError.CANCELLED;
        case UNLOADED -> InferError.UNLOADED;
        default -> InferError.DEVICE_FAILED;
      };
      failRun(run, why, "model '" + run.slot.name + "': op " + f.opIndex() + " (" + f.job().plan().op(f.opIndex())
          + ") failed: " + f.reason() + (deviceMessage == null ? "" : ": " + deviceMessage));
    }
  }

  private void finish(JobRun run) {
    CompletionStage<Map<String, Tensor>> outputs;
    try {
      outputs = run.request.finish();
    } catch (RuntimeException e) {
      outputs = CompletableFuture.failedFuture(e);
    }
    mailbox.deliver(outputs, (out, error) -> enter(() -> onFinished(run, out, error)));
  }

  private void onFinished(JobRun run, Map<String, Tensor> outputs, Throwable error) {
    runs.remove(run.id);
    run.slot.live--;
    if (error != null) {
      Throwable cause = unwrap(error);
      for (Pending p : run.members) {
        fail(p, reasonOf(cause), "model '" + run.slot.name + "': downloading outputs failed: " + message(cause));
      }
    } else {
      long now = clock.nanoTime();
      List<Map<String, Tensor>> split = run.slot.batching ? InputRows.split(outputs, run.members)
          : List.of(outputs);
      for (int i = 0; i < run.members.size(); i++) {
        if (answer(run.members.get(i), new InferResult.Completed(split.get(i), now))) {
          completed++;
        }
      }
    }
    checkUnloaded(run.slot);
    pump();
  }

  // ---- failure paths ----

  /** Fails every member of {@code run} and releases its arena; the run leaves the engine. */
  private void failRun(JobRun run, InferError why, String message) {
    for (Pending p : run.members) {
      fail(p, why, message);
    }
    abandon(run);
  }

  /** Drops a run whose members are answered: aborts its arena (if started) and settles its model. */
  private void abandon(JobRun run) {
    if (runs.remove(run.id) == null) {
      return;
    }
    if (run.request != null) {
      run.request.abort();
    }
    run.slot.live--;
    checkUnloaded(run.slot);
  }

  private void failLate(Rejected r) {
    Pending p = requests.get(r.request().id());
    if (fail(p, InferError.TOO_LATE, "model '" + p.request.model() + "': deadline passed after queuing "
        + micros(r.rejectedNanos() - p.arrivalNanos) + " us, before a batch formed")) {
      rejected++;
    }
  }

  /** Answers {@code p} with an error unless it was answered already; true when this answered it. */
  private boolean fail(Pending p, InferError why, String message) {
    if (answer(p, new InferResult.Failed(why, message))) {
      failures.merge(why, 1L, Long::sum);
      return true;
    }
    return false;
  }

  private boolean answer(Pending p, InferResult result) {
    if (p == null || p.answered) {
      return false;
    }
    p.answered = true;
    requests.remove(p.id);
    try {
      p.request.reply().accept(result);
    } catch (RuntimeException e) {
      LOG.warn("the reply callback of a request of model '{}' threw", p.request.model(), e);
    }
    return true;
  }

  private void checkUnloaded(ModelSlot slot) {
    if (!slot.unloading || slot.live > 0 || slot.onUnloaded == null) {
      return;
    }
    slot.weights.close();
    LOG.info("model '{}' unloaded, weights freed", slot.name);
    Consumer<Unloaded> done = slot.onUnloaded;
    slot.onUnloaded = null;
    done.accept(new Unloaded(slot.name, true, slot.requestsFailedByUnload));
  }

  private void checkDrained() {
    if (!draining || drainWaiters.isEmpty() || !isIdle() || models.values().stream().anyMatch(s -> s.live > 0)) {
      return;
    }
    List<Runnable> waiters = List.copyOf(drainWaiters);
    drainWaiters.clear();
    LOG.info("drained");
    waiters.forEach(Runnable::run);
  }

  // ---- profiling ----

  private void profileFromTimingModel(SimulatedDevice sim, ModelSlot slot, int rows) {
    List<Step> steps = slot.compiled(rows).steps();
    for (int i = 0; i < steps.size(); i++) {
      // the estimate reads only the kernel's shape, never its buffers
      cost.record(slot.name, slot.plan(rows).batchSize(), i, sim.estimateNanos(new KernelLaunch(steps.get(i).kernel(), List.of())));
    }
  }

  /** Times every op of batch 1 once per run, run after run, then calls {@code ready}. */
  private void profileRun(ModelSlot slot, int runsLeft, Runnable ready, Consumer<LoadResult> done) {
    CompiledModel model = slot.compiled(1);
    mailbox.deliver(model.start(InputRows.zeros(model.graph())), (request, error) -> enter(() -> {
      if (error != null) {
        profilingFailed(slot, null, unwrap(error), done);
      } else {
        profileOp(slot, request, 0, runsLeft, ready, done);
      }
    }));
  }

  private void profileOp(ModelSlot slot, ModelRequest request, int op, int runsLeft, Runnable ready,
      Consumer<LoadResult> done) {
    if (slot.unloading) {
      profilingFailed(slot, request, new IllegalStateException("unloaded while loading"), done);
      return;
    }
    if (op == request.opCount()) {
      request.abort();
      if (runsLeft > 1) {
        profileRun(slot, runsLeft - 1, ready, done);
      } else {
        slot.live--;
        ready.run();
      }
      return;
    }
    long start = clock.nanoTime();
    CompletionStage<Void> stage;
    try {
      stage = device.launch(request.launch(op), device.defaultStream());
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    mailbox.deliver(stage, (v, error) -> enter(() -> {
      if (error != null) {
        profilingFailed(slot, request, unwrap(error), done);
        return;
      }
      cost.record(slot.name, 1, op, clock.nanoTime() - start);
      request.completed(op);
      profileOp(slot, request, op + 1, runsLeft, ready, done);
    }));
  }

  private void profilingFailed(ModelSlot slot, ModelRequest request, Throwable error, Consumer<LoadResult> done) {
    if (request != null) {
      request.abort();
    }
    slot.live--;
    if (!slot.unloading) {
      models.remove(slot.name);
      slot.weights.close();
    } else {
      checkUnloaded(slot);
    }
    done.accept(new LoadResult.LoadError(slot.name, "model '" + slot.name + "': profiling failed: " + message(error)));
    pump();
  }

  // ---- helpers ----

  private void armTimer() {
    long next = Long.MAX_VALUE;
    for (ModelSlot s : models.values()) {
      if (s.ready) {
        next = Math.min(next, s.batcher.nextDeadlineNanos());
      }
    }
    if (next != Long.MAX_VALUE && next != wakeRequestedNanos) {
      wakeRequestedNanos = next;
      timer.wakeAt(next);
    }
  }

  /** Runs {@code action} now, or after the current engine call when called from inside one. */
  private void enter(Runnable action) {
    if (inside) {
      deferred.add(action);
      return;
    }
    inside = true;
    try {
      action.run();
      for (Runnable next = deferred.poll(); next != null; next = deferred.poll()) {
        next.run();
      }
    } finally {
      inside = false;
    }
  }

  private static InferError reasonOf(Throwable t) {
    if (t instanceof DeviceException de && de.reason() == DeviceException.Reason.OUT_OF_MEMORY) {
      return InferError.OUT_OF_MEMORY;
    }
    return t instanceof IllegalArgumentException ? InferError.INVALID_INPUT : InferError.DEVICE_FAILED;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private static String message(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static long micros(long nanos) {
    return nanos / 1_000;
  }

  /** One submitted request until it is answered. */
  static final class Pending {
    final long id;
    final InferRequest request;
    final long arrivalNanos;
    int rows;
    boolean answered;

    Pending(long id, InferRequest request, int rows, long arrivalNanos) {
      this.id = id;
      this.request = request;
      this.rows = rows;
      this.arrivalNanos = arrivalNanos;
    }
  }

  /** One batch from its start to its answer; {@code id} is its scheduler job's id. */
  private static final class JobRun {
    final long id;
    final ModelSlot slot;
    final KernelPlan plan;
    final List<Pending> members;
    final Batch batch;
    ModelRequest request;
    boolean admitted;

    JobRun(long id, ModelSlot slot, KernelPlan plan, List<Pending> members, Batch batch) {
      this.id = id;
      this.slot = slot;
      this.plan = plan;
      this.members = members;
      this.batch = batch;
    }
  }

  /** One launch on the device; {@code shared} once another launch overlapped it. */
  private static final class LaunchRun {
    final PlannedLaunch planned;
    final long startNanos;
    boolean shared;

    LaunchRun(PlannedLaunch planned, long startNanos, boolean shared) {
      this.planned = planned;
      this.startNanos = startNanos;
      this.shared = shared;
    }
  }
}
