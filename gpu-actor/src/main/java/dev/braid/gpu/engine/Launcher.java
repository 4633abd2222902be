package dev.braid.gpu.engine;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.trace.LaunchNote;
import dev.braid.device.trace.LaunchTracer;
import dev.braid.gpu.cost.CostModel;
import dev.braid.protocol.cluster.FailureReason;
import dev.braid.gpu.sched.OpRef;
import dev.braid.gpu.sched.PlannedLaunch;
import dev.braid.gpu.sched.SpaceTimeScheduler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Puts the scheduler's {@link PlannedLaunch}es on the device: one op as its {@link KernelLaunch},
 * several as a {@link GroupedLaunch} (a super-kernel), on the stream the plan names; on completion
 * marks the ops done in their requests, tells the scheduler and hands what settled to {@link Jobs}.
 *
 * <p>Invariants: every issued launch is in flight from its issue until its outcome is delivered,
 * and settles in the scheduler exactly once (completed or failed; a launch that cannot be built
 * fails {@code DEVICE_FAILED} without reaching the device); the cost model records a launch's
 * duration only for a single op that had the device to itself from start to end ({@code shared}
 * is set on every launch in flight when another starts); {@code busyNanos} sums the time with at
 * least one launch in flight. A failed launch fails the requests of every job in it first and is
 * then reported to the engine, which checks whether the device is still healthy.
 *
 * <p>Tracing: with a {@link LaunchTracer} (the device itself when it is one, or one set with
 * {@link #tracer}), each launch is announced with a {@link LaunchNote} naming the model, job,
 * requests, op and kernel of each of its problems; without one no note is built.
 */
final class Launcher {
  private final Device device;
  private final NanoClock clock;
  private final EngineLoop loop;
  private final SpaceTimeScheduler scheduler;
  private final CostModel cost;
  private final Jobs jobs;
  private final Runnable pump;
  private final Consumer<Throwable> deviceFailed;
  private final List<DeviceStream> streams = new ArrayList<>();
  private final Map<Long, LaunchRun> inFlight = new LinkedHashMap<>();
  private final Map<Integer, Long> superKernelSizes = new TreeMap<>();
  private long busySinceNanos;
  private long busyNanos;
  private long launches;
  private long superKernels;
  private long superKernelOps;
  /** Null when launches are not traced (the default): then tracing costs one null check per launch. */
  private LaunchTracer tracer;
  /** Told of each launch issued (metrics); set by {@link GpuEngine#listen}. */
  EngineListener listener = EngineListener.NONE;

  /** Creates one device stream per entry of {@code streamPriorities}, in order. */
  Launcher(Device device, List<Integer> streamPriorities, NanoClock clock, EngineLoop loop,
      SpaceTimeScheduler scheduler, CostModel cost, Jobs jobs, Runnable pump, Consumer<Throwable> deviceFailed) {
    this.device = device;
    this.clock = clock;
    this.loop = loop;
    this.scheduler = scheduler;
    this.cost = cost;
    this.jobs = jobs;
    this.pump = pump;
    this.deviceFailed = deviceFailed;
    for (int priority : streamPriorities) {
      streams.add(device.createStream(priority));
    }
    this.tracer = device instanceof LaunchTracer t ? t : null;
  }

  /** Announces every launch from now on to {@code t} (null: none). */
  void tracer(LaunchTracer t) {
    tracer = t;
  }

  /** Builds {@code planned} from its jobs' requests and launches it at {@code now}. */
  void issue(PlannedLaunch planned, long now) {
    long hostStartNanos = clock.nanoTime();
    Launch launch;
    List<KernelLaunch> problems = new ArrayList<>(planned.ops().size());
    try {
      for (OpRef o : planned.ops()) {
        problems.add(jobs.get(o.job().id()).request.launch(o.opIndex()));
      }
      launch = problems.size() == 1 ? problems.get(0) : new GroupedLaunch(problems);
    } catch (RuntimeException e) {
      for (int i = 0; i < problems.size(); i++) { // handed out, never enqueued: an abort may free at once
        OpRef o = planned.ops().get(i);
        jobs.get(o.job().id()).request.settled(o.opIndex());
      }
      jobs.settle(scheduler.failed(planned.launchId(), FailureReason.DEVICE_FAILED), Failures.message(e),
          planned.isSuperKernel());
      return;
    }
    launches++;
    if (planned.isSuperKernel()) {
      superKernels++;
      superKernelOps += planned.ops().size();
      superKernelSizes.merge(planned.ops().size(), 1L, Long::sum);
    }
    if (inFlight.isEmpty()) {
      busySinceNanos = now;
    }
    LaunchRun lr = new LaunchRun(planned, now, !inFlight.isEmpty());
    inFlight.values().forEach(other -> other.shared = true);
    inFlight.put(planned.launchId(), lr);
    CompletionStage<Void> stage;
    if (tracer != null) {
      tracer.launching(note(planned));
    }
    try {
      stage = device.launch(launch, streams.get(planned.stream()));
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    if (tracer != null) {
      tracer.launched();
    }
    listener.launchIssued(planned.ops().size(), clock.nanoTime() - hostStartNanos);
    for (OpRef o : planned.ops()) {
      firstLaunch(jobs.get(o.job().id()));
    }
    for (OpRef o : planned.ops()) {
      jobs.get(o.job().id()).request.onDevice(stage); // an abort before the stage settles frees after it
    }
    loop.deliver(stage, (v, error) -> onLaunched(lr, error));
  }

  private void onLaunched(LaunchRun lr, Throwable error) {
    long now = clock.nanoTime();
    inFlight.remove(lr.planned.launchId());
    if (inFlight.isEmpty()) {
      busyNanos += now - busySinceNanos;
    }
    PlannedLaunch planned = lr.planned;
    if (error == null) {
      for (OpRef o : planned.ops()) {
        jobs.get(o.job().id()).request.completed(o.opIndex());
      }
      if (!planned.isSuperKernel() && !lr.shared) {
        OpRef o = planned.ops().get(0);
        cost.record(o.job().model(), o.job().batchSize(), o.opIndex(), now - lr.startNanos);
      }
      jobs.settle(scheduler.completed(planned.launchId(), now), null, planned.isSuperKernel());
    } else {
      Throwable cause = Failures.unwrap(error);
      jobs.settle(scheduler.failed(planned.launchId(), Failures.ofDevice(cause)), Failures.message(cause),
          planned.isSuperKernel());
      deviceFailed.accept(cause);
    }
    pump.run();
  }

  /** Tells the listener of {@code run}'s requests the first time one of its kernels is launched. */
  private void firstLaunch(JobRun run) {
    if (run.launched) {
      return;
    }
    run.launched = true;
    for (Pending p : run.members) {
      listener.requestLaunched(run.slot.name, p.request.requestId());
    }
  }

  /** What {@code planned} is for: per op its model, job, the job's requests, the op and its kernel. */
  private LaunchNote note(PlannedLaunch planned) {
    List<LaunchNote.Member> members = new ArrayList<>(planned.ops().size());
    for (OpRef o : planned.ops()) {
      JobRun run = jobs.get(o.job().id());
      List<Long> requests = new ArrayList<>(run == null ? 0 : run.members.size());
      if (run != null) {
        for (Pending p : run.members) {
          requests.add(p.id);
        }
      }
      members.add(new LaunchNote.Member(o.job().model(), o.job().id(), requests, o.op().node(),
          o.op().kernel().toString()));
    }
    return new LaunchNote(members);
  }

  /** Launches on the device now. */
  int inFlight() {
    return inFlight.size();
  }

  /** Time with at least one launch on the device, up to {@code now}. */
  long busyNanos(long now) {
    return busyNanos + (inFlight.isEmpty() ? 0 : now - busySinceNanos);
  }

  long launches() {
    return launches;
  }

  long superKernels() {
    return superKernels;
  }

  long superKernelOps() {
    return superKernelOps;
  }

  /** Super-kernels by their number of ops (live; the stats snapshot copies it). */
  Map<Integer, Long> superKernelSizes() {
    return superKernelSizes;
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
