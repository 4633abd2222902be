package dev.braid.bench.policies;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.sim.GpuProfile;
import dev.braid.device.sim.SimStats;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.device.trace.SimTimeline;
import dev.braid.device.trace.TraceRecorder;
import dev.braid.device.trace.TracingDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.EngineStats;
import dev.braid.gpu.engine.GpuEngine;
import dev.braid.gpu.engine.InferRequest;
import dev.braid.gpu.engine.LoadResult;
import dev.braid.model.Tensor;
import dev.braid.model.repo.RepositoryModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs one policy over a {@link Workload} through a fresh {@link GpuEngine} on a fresh device, so
 * policies share nothing but the workload.
 *
 * <p>On a simulated GPU ({@link #onSimulator}) time is virtual: arrivals are simulator events, the
 * run steps the simulation until nothing is pending, and the result depends only on its inputs. On
 * other devices ({@link #onDevice}) time is the wall clock: the engine is owned by one scheduler
 * thread that submits each request at its arrival time, and the caller waits for every answer.
 * Both print a progress line to {@code progress} every {@link #PROGRESS_INTERVAL_NANOS} of the
 * run's own time.
 */
final class PolicyRunner {
  /** One progress line per 5 s of run time: four lines for the 20 s acceptance run. */
  static final long PROGRESS_INTERVAL_NANOS = 5_000_000_000L;

  /**
   * Wall-clock runs wait this long past the workload's end (plus the largest SLO) for the last
   * answers before declaring requests lost: a request answers by its deadline or fails TOO_LATE.
   */
  private static final long WALL_GRACE_NANOS = 60_000_000_000L;

  private final Map<String, RepositoryModel> archs;
  private final Function<Workload.Instance, Map<String, Tensor>> inputsOf;
  private final PrintWriter progress;

  /**
   * @param archs each architecture of the workload's instances, loaded from the zoo
   * @param inputsOf the inputs every request of an instance sends (the same for every policy)
   * @param progress where progress lines go (stderr)
   */
  PolicyRunner(Map<String, RepositoryModel> archs, Function<Workload.Instance, Map<String, Tensor>> inputsOf,
      PrintWriter progress) {
    this.archs = Map.copyOf(archs);
    this.inputsOf = inputsOf;
    this.progress = progress;
  }

  /**
   * {@code policy} on a fresh timing-only simulated GPU of {@code profile}, in virtual time; with
   * {@code trace} non-null, the device timeline from the start of the arrivals (time 0) is recorded there.
   */
  PolicyResult onSimulator(GpuProfile profile, GpuSettings settings, Workload w, TraceRecorder trace) {
    SimulatedDevice sim = new SimulatedDevice(profile, SimulatedDevice.Compute.TIMING_ONLY);
    try (sim) {
      GpuEngine engine = GpuEngine.onSimulator(sim, settings);
      List<CompletableFuture<LoadResult>> loads = new ArrayList<>();
      for (Workload.Instance inst : w.instances()) {
        CompletableFuture<LoadResult> f = new CompletableFuture<>();
        engine.load(inst.name(), archs.get(inst.arch()), f::complete);
        loads.add(f);
      }
      sim.runUntilIdle();
      checkLoaded(loads);

      SimTimeline timeline = null;
      if (trace != null) {
        timeline = SimTimeline.attach(sim, trace, sim.info().name() + " " + settings.policy());
        engine.traceLaunches(timeline);
      }
      long t0 = sim.clock().nanoTime();
      SimStats s0 = sim.stats();
      EngineStats e0 = engine.stats();
      Ledger ledger = new Ledger(w.requestCount());
      if (w.requestCount() > 0) {
        scheduleArrival(sim, engine, w, ledger, t0, 0);
      }
      long wallStart = System.nanoTime();
      long mark = t0 + PROGRESS_INTERVAL_NANOS;
      while (sim.step()) {
        long now = sim.clock().nanoTime();
        if (now >= mark) {
          printProgress(settings.policy(), now - t0, w, ledger, System.nanoTime() - wallStart, "simulated");
          while (mark <= now) {
            mark += PROGRESS_INTERVAL_NANOS;
          }
        }
      }
      if (timeline != null) {
        timeline.finish();
      }
      checkAllAnswered(settings.policy(), w, ledger);
      long span = Math.max(w.durationNanos(), ledger.lastAnswerNanos() - t0);
      SimStats s1 = sim.stats();
      double smUtil = (double) (s1.busySmNanos() - s0.busySmNanos()) / ((double) span * s1.smCount());
      return result(settings.policy(), w, ledger, span, smUtil, "sm", e0, engine.stats(),
          s1.hostBusyNanos() - s0.hostBusyNanos());
    }
  }

  private void scheduleArrival(SimulatedDevice sim, GpuEngine engine, Workload w, Ledger ledger, long t0, int i) {
    sim.schedule(t0 + w.arrivalNanos(i), () -> {
      submit(engine, w, ledger, i, sim.clock().nanoTime());
      if (i + 1 < w.requestCount()) {
        scheduleArrival(sim, engine, w, ledger, t0, i + 1);
      }
    });
  }

  private void submit(GpuEngine engine, Workload w, Ledger ledger, int i, long now) {
    Workload.Instance inst = w.instances().get(w.instanceOf(i));
    long deadline = now + inst.sloNanos();
    ledger.submitted(i, now, deadline);
    engine.submit(new InferRequest(inst.name(), inputsOf.apply(inst), deadline, inst.priorityLevel(),
        r -> ledger.answered(i, r, engine.clock().nanoTime())));
  }

  /**
   * {@code policy} on a fresh device from {@code open} in wall-clock time: arrivals are submitted
   * at their times (late ones as soon as the engine's thread is free), and the run waits for every
   * answer. With {@code trace} non-null the device's timeline, from its opening, is recorded there.
   */
  PolicyResult onDevice(Supplier<Device> open, GpuSettings settings, Workload w, TraceRecorder trace)
      throws Exception {
    ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-policies-engine");
      t.setDaemon(true);
      return t;
    });
    try (Device device = traced(open.get(), trace, settings.policy())) {
      GpuEngine engine = on(owner, () -> GpuEngine.onExecutor(device, settings, owner));
      List<CompletableFuture<LoadResult>> loads = new ArrayList<>();
      for (Workload.Instance inst : w.instances()) {
        CompletableFuture<LoadResult> f = new CompletableFuture<>();
        owner.execute(() -> engine.load(inst.name(), archs.get(inst.arch()), f::complete));
        loads.add(f);
      }
      CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
      checkLoaded(loads);

      Ledger ledger = new Ledger(w.requestCount());
      EngineStats e0 = on(owner, engine::stats);
      // a short lead, so that the first arrivals are not late before the loop has started
      long t0 = engine.clock().nanoTime() + 20_000_000L;
      if (w.requestCount() > 0) {
        scheduleArrival(owner, engine, w, ledger, t0, 0);
      }
      long maxSlo = w.instances().stream().mapToLong(Workload.Instance::sloNanos).max().orElse(0);
      long giveUp = t0 + w.durationNanos() + maxSlo + WALL_GRACE_NANOS;
      long wallStart = System.nanoTime();
      long mark = wallStart + PROGRESS_INTERVAL_NANOS;
      while (on(owner, ledger::answered) < w.requestCount()) {
        long now = System.nanoTime();
        if (now > giveUp) {
          break;
        }
        if (now >= mark) {
          printProgress(settings.policy(), now - wallStart, w, ledger, now - wallStart, "run");
          mark += PROGRESS_INTERVAL_NANOS;
        }
        Thread.sleep(20);
      }
      return on(owner, () -> {
        checkAllAnswered(settings.policy(), w, ledger);
        long span = Math.max(w.durationNanos(), ledger.lastAnswerNanos() - t0);
        EngineStats e1 = engine.stats();
        double busy = (double) (e1.busyNanos() - e0.busyNanos()) / span;
        return result(settings.policy(), w, ledger, span, busy, "busy", e0, e1, -1);
      });
    } finally {
      owner.shutdownNow();
    }
  }

  /** {@code device}, wrapped to record its timeline when {@code trace} is non-null. */
  private static Device traced(Device device, TraceRecorder trace, String policy) {
    return trace == null ? device
        : new TracingDevice(device, trace, device.info().name() + " " + policy, NanoClock.system());
  }

  private void scheduleArrival(ScheduledExecutorService owner, GpuEngine engine, Workload w, Ledger ledger, long t0,
      int i) {
    long delay = Math.max(0, t0 + w.arrivalNanos(i) - engine.clock().nanoTime());
    owner.schedule(() -> {
      submit(engine, w, ledger, i, engine.clock().nanoTime());
      if (i + 1 < w.requestCount()) {
        scheduleArrival(owner, engine, w, ledger, t0, i + 1);
      }
    }, delay, TimeUnit.NANOSECONDS);
  }

  /**
   * One batch-1 request of {@code arch} alone on an idle device, as the benchmark's yardstick.
   *
   * @param latencyNanos from submission to the answer (the batcher's queue delay included)
   * @param serviceNanos the time the device had work on it for that request
   */
  record Isolated(long latencyNanos, long serviceNanos) {}

  /** {@code arch} alone on a fresh simulated GPU: deterministic, so one request suffices. */
  Isolated isolatedOnSimulator(GpuProfile profile, GpuSettings settings, String arch) {
    Workload w = oneRequest(arch);
    SimulatedDevice sim = new SimulatedDevice(profile, SimulatedDevice.Compute.TIMING_ONLY);
    try (sim) {
      GpuEngine engine = GpuEngine.onSimulator(sim, settings);
      CompletableFuture<LoadResult> load = new CompletableFuture<>();
      engine.load(arch, archs.get(arch), load::complete);
      sim.runUntilIdle();
      checkLoaded(List.of(load));
      long busy0 = engine.stats().busyNanos();
      Ledger ledger = new Ledger(1);
      long now = sim.clock().nanoTime();
      submit(engine, w, ledger, 0, now);
      sim.runUntilIdle();
      return isolated(arch, ledger, engine.stats().busyNanos() - busy0);
    }
  }

  /**
   * {@code arch} alone on a fresh device from {@code open}: one warm-up request, then the median
   * of three, one at a time.
   */
  Isolated isolatedOnDevice(Supplier<Device> open, GpuSettings settings, String arch) throws Exception {
    Workload w = oneRequest(arch);
    ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    try (Device device = open.get()) {
      GpuEngine engine = on(owner, () -> GpuEngine.onExecutor(device, settings, owner));
      CompletableFuture<LoadResult> load = new CompletableFuture<>();
      owner.execute(() -> engine.load(arch, archs.get(arch), load::complete));
      load.get(10, TimeUnit.MINUTES);
      checkLoaded(List.of(load));
      List<Isolated> runs = new ArrayList<>();
      for (int run = 0; run < 4; run++) {
        Ledger ledger = new Ledger(1);
        long busy0 = on(owner, engine::stats).busyNanos();
        on(owner, () -> {
          submit(engine, w, ledger, 0, engine.clock().nanoTime());
          return null;
        });
        while (on(owner, ledger::answered) < 1) {
          Thread.sleep(1);
        }
        long busy = on(owner, engine::stats).busyNanos() - busy0;
        Isolated one = on(owner, () -> isolated(arch, ledger, busy));
        if (run > 0) {
          runs.add(one);
        }
      }
      runs.sort((a, b) -> Long.compare(a.latencyNanos(), b.latencyNanos()));
      return runs.get(runs.size() / 2);
    } finally {
      owner.shutdownNow();
    }
  }

  /** A workload of one request to {@code arch} with no practical deadline. */
  private static Workload oneRequest(String arch) {
    return new Workload(List.of(new Workload.Instance(arch, arch, 1, Long.MAX_VALUE / 4, 0)), 1, new long[] {0},
        new int[] {0});
  }

  private static Isolated isolated(String arch, Ledger ledger, long busyNanos) {
    long[] latency = ledger.completedLatencies();
    if (latency.length != 1) {
      throw new IllegalStateException(arch + " alone did not complete: " + ledger.failures());
    }
    return new Isolated(latency[0], busyNanos);
  }

  private static PolicyResult result(String policy, Workload w, Ledger ledger, long span, double utilization,
      String utilizationSource, EngineStats e0, EngineStats e1, long hostBusyNanos) {
    long[] latencies = ledger.completedLatencies();
    long rejected = e1.requestsRejected() - e0.requestsRejected();
    Map<Integer, Long> sizes = new TreeMap<>();
    e1.superKernelSizes().forEach((size, count) -> {
      long during = count - e0.superKernelSizes().getOrDefault(size, 0L);
      if (during > 0) {
        sizes.put(size, during);
      }
    });
    return new PolicyResult(policy, ledger.submitted(), ledger.completed(), ledger.failures(),
        ledger.withinDeadline(), span, ledger.completedFlops(w), utilization, utilizationSource,
        Ledger.percentile(latencies, 0.50), Ledger.percentile(latencies, 0.99), e1.batches() - e0.batches(),
        ledger.submitted() - rejected, e1.launches() - e0.launches(), e1.superKernels() - e0.superKernels(),
        e1.superKernelOps() - e0.superKernelOps(), sizes, hostBusyNanos, ledger.perModel(w));
  }

  private void printProgress(String policy, long runNanos, Workload w, Ledger ledger, long wallNanos, String what) {
    progress.printf(Locale.ROOT, "  %-10s %5.1f s of %.1f s %s: %d of %d requests submitted, %d answered (%.1f s"
            + " wall)%n", policy, runNanos / 1e9, w.durationNanos() / 1e9, what, ledger.submitted(),
        w.requestCount(), ledger.answered(), wallNanos / 1e9);
    progress.flush();
  }

  private static void checkLoaded(List<CompletableFuture<LoadResult>> loads) {
    for (CompletableFuture<LoadResult> f : loads) {
      LoadResult r = f.getNow(null);
      if (r == null) {
        throw new IllegalStateException("a model load never answered");
      }
      if (r instanceof LoadResult.LoadError e) {
        throw new IllegalStateException("loading " + e.model() + " failed: " + e.message());
      }
    }
  }

  private static void checkAllAnswered(String policy, Workload w, Ledger ledger) {
    if (ledger.answered() != w.requestCount() || ledger.submitted() != w.requestCount()) {
      throw new IllegalStateException(policy + ": " + ledger.submitted() + " of " + w.requestCount()
          + " requests submitted and " + ledger.answered() + " answered when the run ended");
    }
  }

  /** Runs {@code task} on the engine's thread and waits for it. */
  private static <T> T on(ScheduledExecutorService owner, Callable<T> task) throws Exception {
    try {
      return owner.submit(task).get(10, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }
}
