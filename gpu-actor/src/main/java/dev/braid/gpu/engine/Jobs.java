package dev.braid.gpu.engine;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelRun;
import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.gpu.batch.Batch;
import dev.braid.gpu.batch.Request;
import dev.braid.gpu.cost.CostModel;
import dev.braid.gpu.sched.FailedJob;
import dev.braid.gpu.sched.Job;
import dev.braid.gpu.sched.Settled;
import dev.braid.gpu.sched.SpaceTimeScheduler;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.FailureReason;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batches a {@link GpuEngine} has started, from a released {@link Batch} to its members'
 * answers: compile the model at the batch's size on first use, stack the members' inputs, start a
 * {@link ModelRun}, admit it to the scheduler as a {@link Job}, and once the scheduler settles
 * it download and split the outputs or fail the members.
 *
 * <p>Invariants: a run is in the table from its start until it is answered or abandoned, and
 * counts once in its slot's {@code live} for exactly that time; a run leaves the table once, and
 * an abandoned run's started request is aborted (its arena released); every member of a run that
 * leaves is answered (through {@link Answers}, so a member answered elsewhere first is not answered
 * again); a run is admitted to the scheduler only while its model is not unloading and the engine
 * is not closed.
 */
final class Jobs {
  /** Under the engine's name: these lines are the engine's to an operator. */
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  private final Device device;
  private final NanoClock clock;
  private final EngineLoop loop;
  private final SpaceTimeScheduler scheduler;
  private final CostModel cost;
  private final Answers answers;
  private final Profiler profiler;
  private final BooleanSupplier closed;
  private final Runnable pump;
  private final Consumer<Throwable> deviceFailed;
  /** Batches started, not yet answered: starting, admitted to the scheduler, or finishing. */
  private final Map<Long, JobRun> runs = new LinkedHashMap<>();
  private long nextJobId = 1;
  private long batches;
  /** Told of each batch started and finished (metrics); set by {@link GpuEngine#listen}. */
  EngineListener listener = EngineListener.NONE;

  Jobs(Device device, NanoClock clock, EngineLoop loop, SpaceTimeScheduler scheduler, CostModel cost,
      Answers answers, Profiler profiler, BooleanSupplier closed, Runnable pump, Consumer<Throwable> deviceFailed) {
    this.device = device;
    this.clock = clock;
    this.loop = loop;
    this.scheduler = scheduler;
    this.cost = cost;
    this.answers = answers;
    this.profiler = profiler;
    this.closed = closed;
    this.pump = pump;
    this.deviceFailed = deviceFailed;
  }

  /** The run of scheduler job {@code id}. */
  JobRun get(long id) {
    return runs.get(id);
  }

  /**
   * Where {@code p} is ({@link EngineListener#cancelReceived}): "answered" (null or answered
   * already), "launched" (its batch launched a kernel), "started" (its batch started, inputs on the
   * device, nothing launched), or "queued" (in its batcher, in no batch yet).
   */
  String stageOf(Pending p) {
    if (p == null || p.answered) {
      return "answered";
    }
    for (JobRun run : runs.values()) {
      if (run.members.contains(p)) {
        return run.launched ? "launched" : "started";
      }
    }
    return "queued";
  }

  /** Runs started and not answered, now. */
  int size() {
    return runs.size();
  }

  /** Batches formed so far. */
  long batches() {
    return batches;
  }

  /**
   * The predicted remaining time of every started run, taken back to back: the scheduler's
   * prediction for an admitted one, its whole plan for one still starting.
   */
  long predictRemainingNanos() {
    long ahead = 0;
    for (JobRun run : runs.values()) {
      ahead += run.admitted ? scheduler.predictRemainingNanos(run.id) : cost.predictRemainingNanos(run.plan, 0);
    }
    return ahead;
  }

  /** Starts {@code batch} of {@code slot}'s requests, or fails its members if it cannot. */
  void start(ModelSlot slot, Batch released, long now) {
    start(slot, released, now, false);
  }

  private void start(ModelSlot slot, Batch released, long now, boolean alone) {
    Batch batch = Cancels.live(released, answers);
    if (batch == null) {
      return; // every member was cancelled while queued: nothing goes to the device
    }
    List<Pending> members = new ArrayList<>();
    for (Request r : batch.requests()) {
      members.add(answers.get(r.id()));
    }
    int rows = batch.batchSize();
    CompiledModel compiled;
    KernelPlan plan;
    Map<String, Tensor> inputs;
    if (!slot.special.isEmpty()) {
      try {
        ModelSlot.Specialized s = slot.specialized(members.get(0).request.inputs());
        compiled = s.compiled();
        plan = s.plan();
        inputs = ModelSlot.feed(s, members.get(0).request.inputs());
      } catch (IllegalArgumentException e) {
        // A specialization key the model cannot take: that request's error; the model serves on.
        answers.failAll(members, FailureReason.INVALID_INPUT, e.getMessage());
        return;
      } catch (RuntimeException e) {
        answers.failAll(members, Failures.ofDevice(e), "model '" + slot.name + "': " + Failures.message(e));
        return;
      }
    } else {
      try {
        boolean fresh = !slot.isCompiled(rows);
        compiled = slot.compiled(rows);
        plan = slot.plan(rows);
        if (fresh && device instanceof SimulatedDevice sim) {
          profiler.fromTimingModel(sim, slot, rows);
        }
        inputs = slot.batching ? InputRows.stack(members, compiled.graph()) : members.get(0).request.inputs();
      } catch (RuntimeException e) {
        answers.failAll(members, Failures.ofDevice(e), "model '" + slot.name + "' at batch " + rows + ": " + Failures.message(e));
        return;
      }
    }
    batches++;
    long queued = 0;
    for (Pending p : members) {
      queued += now - p.arrivalNanos;
    }
    listener.batchStarted(slot.name, slot.model.versions().lastKey(), members.size(), rows, queued);
    JobRun run = new JobRun(nextJobId++, slot, plan, members, batch);
    run.startNanos = now;
    run.alone = alone;
    runs.put(run.id, run);
    slot.live++;
    CompletionStage<ModelRun> started;
    try {
      started = compiled.start(inputs);
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    loop.deliver(started, (request, error) -> onStarted(run, request, error));
  }

  private void onStarted(JobRun run, ModelRun request, Throwable error) {
    if (error != null) {
      Throwable cause = Failures.unwrap(error);
      failRun(run, Failures.reasonOf(cause), "model '" + run.slot.name + "': starting a batch of "
          + run.plan.batchSize() + " failed: " + Failures.message(cause));
      deviceFailed.accept(cause);
      pump.run();
      return;
    }
    run.request = request;
    if (run.slot.unloading || closed.getAsBoolean() || Cancels.allAnswered(run)) {
      abandon(run);
      return;
    }
    if (run.plan.size() == 0) {
      // The graph lowered to no kernel (a lone Identity or Constant): its outputs are inputs just
      // uploaded or resident constants, so the run downloads them at once and never meets the
      // scheduler, whose jobs are non-empty plans.
      finish(run);
      return;
    }
    long now = clock.nanoTime();
    try {
      scheduler.admit(new Job(run.id, run.plan, run.batch.deadlineNanos(), run.batch.priority(), now));
    } catch (RuntimeException e) {
      // A fault of this batch alone (the scheduler refused its job): fail it, not the GPU actor.
      LOG.error("model '{}': admitting a batch of {} failed", run.slot.name, run.plan.batchSize(), e);
      failRun(run, FailureReason.INTERNAL, "model '" + run.slot.name + "': admitting a batch of "
          + run.plan.batchSize() + " failed: " + Failures.message(e));
      pump.run();
      return;
    }
    run.admitted = true;
    pump.run();
  }

  /** Fails, TOO_LATE, the jobs the scheduler expires at {@code now}; true when there were any. */
  boolean expire(long now) {
    List<FailedJob> expired = scheduler.expire(now);
    for (FailedJob f : expired) {
      JobRun run = runs.get(f.job().id());
      long left = f.job().deadlineNanos() - now;
      failRun(run, FailureReason.TOO_LATE, "model '" + run.slot.name + "': " + (left <= 0
          ? "deadline passed after " + f.opIndex() + " of " + run.plan.size() + " ops, "
              + Failures.micros(-left) + " us ago"
          : "cannot meet its deadline: " + Failures.micros(left) + " us left but "
              + Failures.micros(cost.predictRemainingNanos(run.plan, f.opIndex())) + " us of work predicted for ops "
              + f.opIndex() + " to " + (run.plan.size() - 1)));
    }
    return !expired.isEmpty();
  }

  /**
   * Withdraws, before their first launch, the runs whose members have all been answered (cancelled)
   * meanwhile; a run still starting is dropped when its start completes.
   */
  void withdrawAnswered() {
    for (JobRun run : List.copyOf(runs.values())) {
      if (run.admitted && !run.launched && Cancels.allAnswered(run)) {
        scheduler.cancel(run.id).ifPresent(f -> abandon(run));
      }
    }
  }

  /**
   * Acts on what settling a launch did: finishes the finished jobs, answers the failed.
   *
   * @param superKernel whether the launch carried ops of several jobs
   */
  void settle(Settled settled, String deviceMessage, boolean superKernel) {
    for (Job j : settled.finished()) {
      finish(runs.get(j.id()));
    }
    for (FailedJob f : settled.failed()) {
      JobRun run = runs.get(f.job().id());
      // A job the scheduler cancelled because its model is unloading fails UNLOADED.
      FailureReason why = f.reason() == FailureReason.CANCELLED && run.slot.unloading
          ? FailureReason.UNLOADED : f.reason();
      if (why == FailureReason.INVALID_INPUT && !run.alone && (run.members.size() > 1 || superKernel)
          && !run.slot.unloading && !closed.getAsBoolean()) {
        rerunAlone(run, deviceMessage);
        continue;
      }
      KernelOp op = f.job().plan().op(f.opIndex());
      failRun(run, why, "model '" + run.slot.name + "': node '" + op.node() + "' (op " + f.opIndex() + " of "
          + run.plan.size() + ") failed: " + why + (deviceMessage == null ? "" : ": " + deviceMessage));
    }
  }

  /**
   * A kernel of {@code run} met data it cannot take (an index out of range), and the data may be
   * any one member's, or a super-kernel partner's: rather than fail requests for another's inputs,
   * each member runs again by itself, and only one whose own data is at fault is answered
   * INVALID_INPUT. Each keeps its deadline; members answered meanwhile (cancelled) are dropped.
   */
  private void rerunAlone(JobRun run, String deviceMessage) {
    LOG.info("model '{}': a batch of {} requests met invalid data ({}); running each by itself", run.slot.name,
        run.members.size(), deviceMessage);
    abandon(run);
    long now = clock.nanoTime();
    for (Request r : run.batch.requests()) {
      start(run.slot, new Batch(run.batch.model(), List.of(r), now, run.batch.priority()), now, true);
    }
  }

  /**
   * Answers every member of {@code slot}'s runs {@code why} (counting them in the slot) and
   * withdraws its waiting jobs from the scheduler; a job with an op in flight settles first
   * (CANCELLED then).
   */
  void unload(ModelSlot slot, String why) {
    for (JobRun run : List.copyOf(runs.values())) {
      if (run.slot != slot) {
        continue;
      }
      for (Pending p : run.members) {
        slot.requestsFailedByUnload += answers.fail(p, FailureReason.UNLOADED, why) ? 1 : 0;
      }
      if (run.admitted) {
        scheduler.cancel(run.id).ifPresent(f -> abandon(run));
      }
    }
  }

  /**
   * Answers every member of every run {@code why} at once, without waiting on any stage, and drops
   * the runs the scheduler can withdraw; a run with a launch or a download still on the device
   * leaves when that stage settles (its members are answered already), or never, if it never does.
   * An unload waiting on such a run is answered now. Returns how many requests this answered.
   */
  int failAll(FailureReason why, String message) {
    int answered = 0;
    for (JobRun run : List.copyOf(runs.values())) {
      for (Pending p : run.members) {
        answered += answers.fail(p, why, message) ? 1 : 0;
      }
      if (run.admitted) {
        scheduler.cancel(run.id).ifPresent(f -> abandon(run));
      }
    }
    for (JobRun run : List.copyOf(runs.values())) {
      run.slot.answerUnload();
    }
    return answered;
  }

  /** Answers now the unload of every model with a run still held (the engine is given up). */
  void answerUnloads() {
    for (JobRun run : List.copyOf(runs.values())) {
      run.slot.answerUnload();
    }
  }

  private void finish(JobRun run) {
    CompletionStage<Map<String, Tensor>> outputs;
    try {
      outputs = run.request.finish();
    } catch (RuntimeException e) {
      outputs = CompletableFuture.failedFuture(e);
    }
    loop.deliver(outputs, (out, error) -> onFinished(run, out, error));
  }

  private void onFinished(JobRun run, Map<String, Tensor> outputs, Throwable error) {
    runs.remove(run.id);
    run.slot.live--;
    if (error != null) {
      Throwable cause = Failures.unwrap(error);
      answers.failAll(run.members, Failures.reasonOf(cause), "model '" + run.slot.name
          + "': downloading outputs failed: " + Failures.message(cause));
      deviceFailed.accept(cause);
    } else {
      long now = clock.nanoTime();
      listener.batchFinished(run.slot.name, run.slot.model.versions().lastKey(), run.members.size(),
          (now - run.startNanos) * run.members.size());
      answers.complete(run.members, run.slot.batching ? InputRows.split(outputs, run.members) : List.of(outputs), now);
    }
    run.slot.freeIfUnloaded();
    pump.run();
  }

  /** Fails every member of {@code run} and releases its arena; the run leaves the engine. */
  private void failRun(JobRun run, FailureReason why, String message) {
    answers.failAll(run.members, why, message);
    abandon(run);
  }

  /** Drops a run whose members are answered: aborts its arena (if started) and settles its model. */
  private void abandon(JobRun run) {
    if (runs.remove(run.id) == null) {
      return;
    }
    if (run.request != null) {
      try {
        run.request.abort();
      } catch (RuntimeException e) {
        // A device that lost its context fails every call, frees included; its owner closes it.
        LOG.debug("model '{}': releasing a batch's arena failed: {}", run.slot.name, Failures.message(e));
      }
    }
    run.slot.live--;
    run.slot.freeIfUnloaded();
  }
}
