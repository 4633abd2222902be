package dev.braid.device.sim.internal;

import dev.braid.device.GpuSpec;
import dev.braid.device.sim.GpuProfile;
import dev.braid.device.sim.SimStats;
import dev.braid.device.sim.TimingParameters;
import dev.braid.device.sim.TraceEvent;
import dev.braid.device.sim.TraceEvent.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The discrete-event simulation behind {@code SimulatedDevice}: virtual time in nanoseconds, no
 * threads, no wall clock. Events are ordered by (time, sequence number), so the same calls at the
 * same virtual times give the same timeline.
 *
 * <p>Lifecycle of a work item: submitted (the host spends its API calls, the launch or copy and
 * its completion event; calls issue one after another) -> issued (in
 * its stream's hardware queue; stream {@code s} uses queue {@code s mod hardwareQueues}, in order)
 * -> launching (a kernel, once its stream's previous item completed and fewer than
 * {@code maxResidentKernels} kernels are resident or launching: the one front end spends
 * {@code gridLaunchNanos} on it, grids one after another) -> started (resident: may place blocks; a
 * transfer starts on its direction's copy engine instead) -> completed (all blocks retired, or the
 * bytes moved). A queue whose head waits blocks the items behind it, also those of other streams
 * (false serialisation).
 *
 * <p>Blocks: resident kernels, in order of (stream priority, start), place blocks breadth-first on
 * SMs whose free threads, registers, shared memory and block slots admit one. A block's duration
 * is fixed when it is placed: {@code blockFixed + max(flops / computeRate, bytes / bandwidth)}
 * with {@code computeRate = smPeak * achievedFlops * threads / max(threadsOnSm, threadsToSaturate)}
 * and {@code bandwidth = threads * bytesInFlight / latency * min(1, achievedBw * hbmBw / demand)},
 * {@code demand} being the same Little's-law figure summed over all resident threads.
 *
 * <p>Invariants: for every SM, the resources of its resident blocks stay within the SM's limits;
 * resident kernels never exceed {@code maxResidentKernels}; time never goes backwards; every
 * submitted item completes exactly once.
 */
public final class Engine {
  private record Event(long timeNanos, long seq, Runnable action) {}

  private record Stream(int priority, int queue) {}

  private final GpuProfile profile;
  private final GpuSpec spec;
  private final TimingParameters timing;
  private final PriorityQueue<Event> events = new PriorityQueue<>(
      (a, b) -> a.timeNanos != b.timeNanos ? Long.compare(a.timeNanos, b.timeNanos) : Long.compare(a.seq, b.seq));
  private final List<Stream> streams = new ArrayList<>();
  private final List<WorkItem> streamActive = new ArrayList<>();
  private final List<ArrayDeque<WorkItem>> queues = new ArrayList<>();
  private final List<WorkItem> residentKernels = new ArrayList<>();
  private final List<Runnable> completions = new ArrayList<>();
  private final long[] copyEngineFreeNanos = new long[2];
  private final SmPool sms;
  private List<TraceEvent> trace;
  private Consumer<TraceEvent> traceSink;
  private long nowNanos;
  private long seq;
  private long itemIds;
  private long hostFreeNanos;
  private long frontEndFreeNanos;
  private int launchingKernels;
  private boolean stepping;
  private long launches;
  private long blocksRetired;
  private long transfers;
  /** Host time submissions occupied: every launch's and copy's API calls and completion event so far. */
  private long hostBusyNanos;

  public Engine(GpuProfile profile) {
    this.profile = profile;
    this.spec = profile.spec();
    this.timing = profile.timing();
    this.sms = new SmPool(spec);
    for (int q = 0; q < timing.hardwareQueues(); q++) {
      queues.add(new ArrayDeque<>());
    }
    newStream(0);
  }

  public long nowNanos() {
    return nowNanos;
  }

  /** Starts recording every event; {@link #trace()} returns them. */
  public void enableTrace() {
    if (trace == null) {
      trace = new ArrayList<>();
    }
  }

  /** Hands every event from now on to {@code sink} as it happens, unstored; null stops it. */
  public void traceTo(Consumer<TraceEvent> sink) {
    traceSink = sink;
  }

  /** The events recorded since tracing was enabled (empty if it never was). */
  public List<TraceEvent> trace() {
    return trace == null ? List.of() : List.copyOf(trace);
  }

  /** A new stream with CUDA-style priority (lower is more urgent); returns its id (0 is the default stream). */
  public int newStream(int priority) {
    int id = streams.size();
    streams.add(new Stream(priority, id % timing.hardwareQueues()));
    streamActive.add(null);
    return id;
  }

  /** Submits a kernel launch on {@code stream}; {@code onComplete} runs when it completes, after the state settled. */
  public WorkItem submitKernel(int stream, KernelWork work, Runnable onComplete) {
    if (work.footprint().residentBlocksPerSm(spec) == 0) {
      throw new IllegalArgumentException(work.label() + ": a block of " + work.footprint()
          + " does not fit on one SM of " + profile.name());
    }
    return submit(new WorkItem(++itemIds, stream, work, 0, false, onComplete));
  }

  /** Submits a host-device copy of {@code bytes} on {@code stream}. */
  public WorkItem submitTransfer(int stream, long bytes, boolean upload, Runnable onComplete) {
    return submit(new WorkItem(++itemIds, stream, null, bytes, upload, onComplete));
  }

  private WorkItem submit(WorkItem item) {
    item.hostNanos = item.work != null ? timing.hostNanosFor(item.work.driverCalls) : timing.hostNanosPerLaunch();
    long issueAt = Math.max(nowNanos, hostFreeNanos) + item.hostNanos;
    hostFreeNanos = issueAt;
    hostBusyNanos += item.hostNanos;
    at(issueAt, () -> {
      queues.get(streams.get(item.stream).queue()).add(item);
      log(Kind.ISSUED, item, () -> item.work != null ? item.work.label() : (item.upload ? "upload " : "download ") + item.transferBytes + " bytes");
    });
    return item;
  }

  /** Runs {@code action} at {@code atNanos} (not before now), as one event of the timeline. */
  public void schedule(long atNanos, Runnable action) {
    if (atNanos < nowNanos) {
      throw new IllegalArgumentException("cannot schedule at " + atNanos + " ns, before now (" + nowNanos + " ns)");
    }
    at(atNanos, () -> {
      log(Kind.EXTERNAL, null, () -> "");
      action.run();
    });
  }

  private void at(long timeNanos, Runnable action) {
    events.add(new Event(timeNanos, ++seq, action));
  }

  /** Processes the next event, settles the GPU, then runs the completions it caused; false when idle. */
  public boolean step() {
    if (stepping) {
      throw new IllegalStateException("step() called from a completion callback or scheduled action");
    }
    Event e = events.poll();
    if (e == null) {
      return false;
    }
    stepping = true;
    try {
      nowNanos = e.timeNanos;
      e.action.run();
      settle();
      while (!completions.isEmpty()) {
        List<Runnable> done = new ArrayList<>(completions);
        completions.clear();
        for (Runnable r : done) {
          r.run();
        }
      }
    } finally {
      stepping = false;
    }
    return true;
  }

  /** Steps until no event is left. */
  public void runUntilIdle() {
    while (step()) {
      // each step advances the timeline
    }
  }

  /** Whether any event is pending. */
  public boolean idle() {
    return events.isEmpty();
  }

  public SimStats stats() {
    return new SimStats(nowNanos, sms.busyNanos(nowNanos), spec.smCount(), launches, blocksRetired, transfers,
        hostBusyNanos);
  }

  // ---- queues, residency and transfers ----

  private void settle() {
    for (ArrayDeque<WorkItem> q : queues) {
      while (!q.isEmpty()) {
        WorkItem head = q.peek();
        if (streamActive.get(head.stream) != null) {
          break;
        }
        if (head.work != null) {
          if (residentKernels.size() + launchingKernels >= spec.maxResidentKernels()) {
            break;
          }
          launchGrid(head);
        } else {
          startTransfer(head);
        }
        q.poll();
        streamActive.set(head.stream, head);
      }
    }
    dispatch();
  }

  /** The front end takes {@code k}'s grid after the grids before it; its blocks may start when it is done. */
  private void launchGrid(WorkItem k) {
    if (timing.gridLaunchNanos() == 0) {
      activate(k);
      return;
    }
    long start = Math.max(nowNanos, frontEndFreeNanos);
    long ready = start + timing.gridLaunchNanos();
    frontEndFreeNanos = ready;
    launchingKernels++;
    at(ready, () -> {
      launchingKernels--;
      activate(k);
    });
  }

  private void activate(WorkItem k) {
    k.activationSeq = ++seq;
    k.needsFullScan = true;
    int priority = streams.get(k.stream).priority();
    int pos = residentKernels.size();
    while (pos > 0 && streams.get(residentKernels.get(pos - 1).stream).priority() > priority) {
      pos--;
    }
    residentKernels.add(pos, k);
    log(Kind.STARTED, k, () -> k.work.totalBlocks() + " blocks");
  }

  private void startTransfer(WorkItem t) {
    int engine = t.upload ? 0 : 1;
    long start = Math.max(nowNanos, copyEngineFreeNanos[engine]);
    long end = start + (long) Math.ceil(t.transferBytes / profile.pcieBytesPerSecond() * 1e9);
    copyEngineFreeNanos[engine] = end;
    log(Kind.STARTED, t, () -> "until " + end);
    at(end, () -> {
      transfers++;
      complete(t);
    });
  }

  private void complete(WorkItem item) {
    streamActive.set(item.stream, null);
    log(Kind.COMPLETED, item, () -> "");
    completions.add(item.onComplete);
  }

  // ---- blocks ----

  private void dispatch() {
    List<WorkItem> placedKernels = new ArrayList<>();
    List<Map<Long, int[]>> placedCounts = new ArrayList<>();
    for (WorkItem k : residentKernels) {
      if (k.dispatched == k.work.totalBlocks()) {
        continue;
      }
      Map<Long, int[]> counts = new LinkedHashMap<>();
      boolean full = k.needsFullScan;
      k.needsFullScan = false;
      int[] candidates = full ? sms.rotation() : sms.dirty();
      boolean progress = true;
      while (progress && k.dispatched < k.work.totalBlocks()) {
        progress = false;
        for (int j = 0; j < candidates.length && k.dispatched < k.work.totalBlocks(); j++) {
          int sm = candidates[j];
          if (sms.fits(sm, k.work.footprint())) {
            sms.take(sm, k.work.footprint(), nowNanos);
            int cls = k.work.classOf(k.dispatched);
            k.dispatched++;
            k.resident++;
            counts.computeIfAbsent(((long) sm << 32) | cls, x -> new int[1])[0]++;
            progress = true;
          }
        }
      }
      if (full) {
        sms.advanceRotation(counts.size());
      }
      if (!counts.isEmpty()) {
        placedKernels.add(k);
        placedCounts.add(counts);
      }
    }
    sms.clearDirty();
    for (int i = 0; i < placedKernels.size(); i++) {
      schedulePlaced(placedKernels.get(i), placedCounts.get(i));
    }
  }

  /** Groups the blocks placed for {@code k} this instant by finish time: one retirement event per group. */
  private void schedulePlaced(WorkItem k, Map<Long, int[]> counts) {
    TreeMap<Long, List<long[]>> byFinish = new TreeMap<>();
    int placed = 0;
    for (Map.Entry<Long, int[]> e : counts.entrySet()) {
      int sm = (int) (e.getKey() >>> 32);
      int cls = (int) (e.getKey() & 0xffffffffL);
      long finish = nowNanos + blockNanos(k.work, cls, sm);
      byFinish.computeIfAbsent(finish, x -> new ArrayList<>()).add(new long[] {sm, e.getValue()[0]});
      placed += e.getValue()[0];
    }
    int placedBlocks = placed;
    log(Kind.DISPATCHED, k, () -> placedBlocks + " blocks, finishing " + byFinish.keySet());
    for (Map.Entry<Long, List<long[]>> e : byFinish.entrySet()) {
      List<long[]> group = e.getValue();
      at(e.getKey(), () -> retire(k, group));
    }
  }

  private long blockNanos(KernelWork w, int cls, int sm) {
    double threads = w.footprint().threadsPerBlock();
    double computeRate = profile.smPeakFlopsPerSecond() * timing.achievedFlopsFraction() * threads
        / Math.max(sms.residentThreads(sm), timing.threadsToSaturateSm());
    double latencySeconds = timing.memoryLatencyNanos() * 1e-9;
    double littleBytesPerSecond = threads * timing.bytesInFlightPerThread() / latencySeconds;
    double demand = sms.residentThreadsOnDevice() * (double) timing.bytesInFlightPerThread() / latencySeconds;
    double supply = spec.memoryBandwidthBytesPerSecond() * timing.achievedBandwidthFraction();
    double bandwidth = littleBytesPerSecond * Math.min(1.0, supply / demand);
    double seconds = Math.max(w.flopsPerBlock[cls] / computeRate, w.bytesPerBlock[cls] / bandwidth);
    return timing.blockFixedNanos() + (long) Math.ceil(seconds * 1e9);
  }

  private void retire(WorkItem k, List<long[]> group) {
    int n = 0;
    for (long[] g : group) {
      sms.release((int) g[0], k.work.footprint(), (int) g[1], nowNanos);
      n += (int) g[1];
    }
    k.resident -= n;
    blocksRetired += n;
    int retired = n;
    log(Kind.RETIRED, k, () -> retired + " blocks");
    if (k.resident == 0 && k.dispatched == k.work.totalBlocks()) {
      residentKernels.remove(k);
      launches++;
      complete(k);
    }
  }

  /** Records an event when tracing; {@code detail} is only built then (it is costly per block group). */
  private void log(Kind kind, WorkItem item, Supplier<String> detail) {
    if (trace != null || traceSink != null) {
      TraceEvent e = new TraceEvent(nowNanos, kind, item == null ? 0 : item.id, item == null ? -1 : item.stream,
          detail.get(), kind == Kind.ISSUED ? item.hostNanos : 0);
      if (trace != null) {
        trace.add(e);
      }
      if (traceSink != null) {
        traceSink.accept(e);
      }
    }
  }
}
