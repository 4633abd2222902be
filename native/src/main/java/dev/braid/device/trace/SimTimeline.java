package dev.braid.device.trace;

import dev.braid.device.sim.SimulatedDevice;
import dev.braid.device.sim.TraceEvent;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A simulated GPU's timeline, from the simulator's own events ({@link SimulatedDevice#traceTo}),
 * into a {@link TraceRecorder}: the device-side times are the simulation's, not estimates.
 *
 * <p>Per work item (a launch or a copy) the simulator reports ISSUED (the host's API call
 * returned), STARTED (resident on the device, or the copy began), DISPATCHED and RETIRED (blocks
 * placed on and leaving SMs) and COMPLETED. This writes:
 * <ul>
 *   <li>on the stream's track ({@code 1 + stream}, named {@code stream N}): one complete event per
 *       item from STARTED to COMPLETED, named by its kernel family ({@code Conv2d}, or {@code Gemm
 *       x4} for a super-kernel of four problems), with the full kernel, the item id, its blocks and
 *       its queueing time (ISSUED to STARTED) in its arguments, and the {@link LaunchNote}'s
 *       models, jobs, requests and members where the issuer gave one;
 *   <li>on the host launch path's track ({@link TraceRecorder#HOST_TRACK}): the host time each
 *       call occupied, ending at ISSUED: its API calls and completion event as the simulator
 *       charged them (the simulator's host issues calls one after another);
 *   <li>the counter {@code SM occupancy}: resident blocks (DISPATCHED adds the blocks placed,
 *       RETIRED subtracts those finished) and resident kernels (STARTED to COMPLETED of kernels),
 *       one sample per instant at which they changed.
 * </ul>
 * Times are relative to the moment of {@link #attach} (time 0 of the trace). The block counts are
 * read from the events' details ({@code "<n> blocks..."}), and a copy is told from a kernel by its
 * ISSUED detail ({@code "upload ..."} or {@code "download ..."}), the simulator's documented forms.
 *
 * <p>Notes: the issuer calls {@link #launching} before {@code device.launch} and {@link #launched}
 * after; a launch the device accepted has a new {@link SimulatedDevice#lastLaunchId()}, which is
 * the item id its events carry. Once the recorder is full the timeline detaches from the
 * simulator, so a long run pays for the first events only. Confined to the simulator's thread.
 */
public final class SimTimeline implements LaunchTracer {
  /** The counter's name in the trace. */
  public static final String OCCUPANCY = "SM occupancy";

  private final SimulatedDevice sim;
  private final TraceRecorder recorder;
  private final int process;
  private final long originNanos;
  private final Map<Long, Open> open = new HashMap<>();
  private final Map<Long, LaunchNote> notes = new HashMap<>();
  private final Map<Integer, Boolean> tracks = new HashMap<>();
  private LaunchNote pendingNote;
  private long lastPairedId;
  private long residentBlocks;
  private long residentKernels;
  private long counterAtNanos = -1;
  private boolean attached;

  /** An item between its ISSUED and COMPLETED events. */
  private static final class Open {
    final int stream;
    final String label;
    final boolean copy;
    final long issuedNanos;
    final LaunchNote note;
    long startedNanos = -1;
    long blocks;

    Open(int stream, String label, boolean copy, long issuedNanos, LaunchNote note) {
      this.stream = stream;
      this.label = label;
      this.copy = copy;
      this.issuedNanos = issuedNanos;
      this.note = note;
    }
  }

  private SimTimeline(SimulatedDevice sim, TraceRecorder recorder, String processName) {
    this.sim = sim;
    this.recorder = recorder;
    this.process = recorder.process(processName);
    this.originNanos = sim.clock().nanoTime();
    recorder.track(process, TraceRecorder.HOST_TRACK, "host launch path");
  }

  /**
   * Starts recording {@code sim}'s timeline from now into {@code recorder}, as a process named
   * {@code processName} (e.g. the device and the policy).
   */
  public static SimTimeline attach(SimulatedDevice sim, TraceRecorder recorder, String processName) {
    SimTimeline t = new SimTimeline(sim, recorder, processName);
    Consumer<TraceEvent> sink = t::onEvent;
    sim.traceTo(sink);
    t.attached = true;
    return t;
  }

  @Override
  public void launching(LaunchNote note) {
    pendingNote = note;
  }

  @Override
  public void launched() {
    long id = sim.lastLaunchId();
    if (id != lastPairedId && pendingNote != null && attached) {
      notes.put(id, pendingNote);
    }
    lastPairedId = id;
    pendingNote = null;
  }

  /** Writes the last counter sample and stops listening to the simulator; items still running are left out. */
  public void finish() {
    flushCounter();
    detach();
  }

  private void detach() {
    if (attached) {
      sim.traceTo(null);
      attached = false;
      notes.clear();
      open.clear();
    }
  }

  private void onEvent(TraceEvent e) {
    long t = e.timeNanos() - originNanos;
    switch (e.kind()) {
      case ISSUED -> {
        boolean copy = e.detail().startsWith("upload ") || e.detail().startsWith("download ");
        Open o = new Open(e.stream(), e.detail(), copy, t, notes.remove(e.itemId()));
        open.put(e.itemId(), o);
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("item", e.itemId());
        args.put("stream", e.stream());
        recorder.complete(process, TraceRecorder.HOST_TRACK, (copy ? "" : "launch ") + name(o), "host",
            Math.max(0, t - e.hostNanos()), Math.min(e.hostNanos(), t), args);
      }
      case STARTED -> {
        Open o = open.get(e.itemId());
        if (o != null) {
          o.startedNanos = t;
          if (!o.copy) {
            o.blocks = leadingCount(e.detail());
            changeOccupancy(t, 0, 1);
          }
        }
      }
      case DISPATCHED -> {
        if (open.containsKey(e.itemId())) {
          changeOccupancy(t, leadingCount(e.detail()), 0);
        }
      }
      case RETIRED -> {
        if (open.containsKey(e.itemId())) {
          changeOccupancy(t, -leadingCount(e.detail()), 0);
        }
      }
      case COMPLETED -> {
        Open o = open.remove(e.itemId());
        if (o != null && o.startedNanos >= 0) {
          if (!o.copy) {
            changeOccupancy(t, 0, -1);
          }
          onCompleted(e.itemId(), o, t);
        }
      }
      default -> {
        // EXTERNAL: the driver's own actions are not device work
      }
    }
    if (recorder.full()) {
      flushCounter();
      detach();
    }
  }

  private void onCompleted(long itemId, Open o, long t) {
    int track = 1 + o.stream;
    if (tracks.putIfAbsent(track, Boolean.TRUE) == null) {
      recorder.track(process, track, "stream " + o.stream);
    }
    Map<String, Object> args = new LinkedHashMap<>();
    if (o.copy) {
      args.put("copy", o.label);
    } else {
      args.put("kernel", o.label);
      args.put("blocks", o.blocks);
    }
    args.put("item", itemId);
    args.put("queued_us", (o.startedNanos - o.issuedNanos) / 1e3);
    if (o.note != null) {
      args.putAll(o.note.args());
    }
    String category = o.copy ? "copy" : o.label.startsWith("grouped ") ? "super-kernel" : "kernel";
    recorder.complete(process, track, name(o), category, o.startedNanos, t - o.startedNanos, args);
  }

  /** The family name an event shows: {@code Conv2d}, {@code Gemm x4} for a group, {@code upload} for a copy. */
  private static String name(Open o) {
    return familyName(o.label);
  }

  /**
   * {@code Conv2d[...]} -> {@code Conv2d}; {@code grouped Gemm x4} -> {@code Gemm x4}; {@code upload 64
   * bytes} -> {@code upload}.
   */
  static String familyName(String label) {
    if (label.startsWith("grouped ")) {
      return label.substring("grouped ".length());
    }
    if (label.startsWith("upload ") || label.startsWith("download ")) {
      return label.substring(0, label.indexOf(' '));
    }
    int bracket = label.indexOf('[');
    return bracket > 0 ? label.substring(0, bracket) : label;
  }

  private void changeOccupancy(long t, long blocks, long kernels) {
    if (counterAtNanos >= 0 && t != counterAtNanos) {
      flushCounter();
    }
    residentBlocks += blocks;
    residentKernels += kernels;
    counterAtNanos = t;
  }

  private void flushCounter() {
    if (counterAtNanos >= 0) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("resident blocks", residentBlocks);
      v.put("resident kernels", residentKernels);
      recorder.counter(process, OCCUPANCY, counterAtNanos, v);
      counterAtNanos = -1;
    }
  }

  /** The number a detail starts with ({@code "132 blocks, finishing [...]"} -> 132); 0 if none. */
  static long leadingCount(String detail) {
    long n = 0;
    for (int i = 0; i < detail.length() && Character.isDigit(detail.charAt(i)); i++) {
      n = n * 10 + (detail.charAt(i) - '0');
    }
    return n;
  }
}
