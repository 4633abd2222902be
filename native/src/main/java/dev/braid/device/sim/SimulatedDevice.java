package dev.braid.device.sim;

import dev.braid.time.NanoClock;
import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceInfo;
import dev.braid.device.DeviceKind;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.sim.internal.Engine;
import dev.braid.device.sim.internal.KernelWork;
import dev.braid.device.sim.internal.WorkItem;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A GPU in virtual time: a deterministic discrete-event simulation of a {@link GpuProfile} (the
 * model is described in {@code Engine}'s Javadoc: host launch overhead, hardware queues, resident
 * kernel limit, block-by-block placement on SMs under per-SM limits, per-block roofline). Nothing
 * sleeps and no wall clock is read: a driver advances time with {@link #step()} or
 * {@link #runUntilIdle()}, and injects its own events (request arrivals) with {@link #schedule}.
 * Completion stages complete inside {@code step()}, their callbacks running synchronously at that
 * virtual time, so a scheduler may launch more work from them.
 *
 * <p>Outputs: with {@link Compute#TIMING_ONLY} (the default) no math is done: uploads are
 * dropped and downloads return zeros of the right length. With {@link Compute#REAL} every buffer is
 * backed by a {@link CpuDevice} buffer and each launch or copy is executed there, synchronously,
 * when it completes in virtual time. Timing never depends on the mode.
 *
 * <p>Not thread-safe: one thread (an actor's, a benchmark's) drives it. Lifecycle: open -> closed;
 * closing fails every pending stage with CLOSED. Invariant: {@code allocatedBytes() <=
 * info().memoryBytes()}.
 */
public final class SimulatedDevice implements Device {
  /** Whether the device computes outputs. */
  public enum Compute {
    /** Timing only: buffers hold no data. */
    TIMING_ONLY,
    /** Outputs computed by a {@link CpuDevice}, for correctness tests through the simulation. */
    REAL
  }

  private final GpuProfile profile;
  private final Compute compute;
  private final DeviceInfo info;
  private final Engine engine;
  private final CpuDevice cpu;
  private final SimStream defaultStream;
  private final TreeMap<Long, CompletableFuture<?>> pending = new TreeMap<>();
  private final List<SimBuffer> live = new ArrayList<>();
  private long allocatedBytes;
  private long lastLaunchId;
  private boolean closed;

  /** A timing-only device. */
  public SimulatedDevice(GpuProfile profile) {
    this(profile, Compute.TIMING_ONLY);
  }

  public SimulatedDevice(GpuProfile profile, Compute compute) {
    this.profile = profile;
    this.compute = compute;
    this.info = new DeviceInfo("sim " + profile.marketingName(), DeviceKind.SIMULATED, profile.memoryBytes(),
        Optional.of(profile.spec()));
    this.engine = new Engine(profile);
    this.cpu = compute == Compute.REAL ? new CpuDevice(1) : null;
    this.defaultStream = new SimStream(this, 0, 0);
  }

  public GpuProfile profile() {
    return profile;
  }

  @Override
  public DeviceInfo info() {
    return info;
  }

  // ---- the driver's API ----

  /** The virtual clock: nanoseconds since the device opened. */
  public NanoClock clock() {
    return engine::nowNanos;
  }

  /** Runs {@code action} at virtual time {@code atNanos} (>= now), e.g. a request arrival. */
  public void schedule(long atNanos, Runnable action) {
    engine.schedule(atNanos, action);
  }

  /** Processes the next event (completing the stages it finishes); false when nothing is pending. */
  public boolean step() {
    return engine.step();
  }

  /** Steps until nothing is pending. */
  public void runUntilIdle() {
    engine.runUntilIdle();
  }

  public SimStats stats() {
    return engine.stats();
  }

  /** Records every event from now on; see {@link #trace()}. */
  public void enableTrace() {
    engine.enableTrace();
  }

  /** The events recorded since {@link #enableTrace()}. */
  public List<TraceEvent> trace() {
    return engine.trace();
  }

  /**
   * Hands every event from now on to {@code sink} as it happens, without storing it (a bounded
   * timeline's feed, {@code dev.braid.device.trace.SimTimeline}); null stops it.
   */
  public void traceTo(Consumer<TraceEvent> sink) {
    engine.traceTo(sink);
  }

  /**
   * The {@link TraceEvent#itemId()} of the last kernel launch this device accepted (0 before the
   * first): a launch that returns an unfinished stage was accepted, and this names it.
   */
  public long lastLaunchId() {
    return lastLaunchId;
  }

  /**
   * Nanoseconds {@code launch} would take alone on an idle device of this profile, from the host
   * call to completion, launch overhead included. Its buffers are not read; this device's state is
   * not touched.
   */
  public long estimateNanos(Launch launch) {
    Engine alone = new Engine(profile);
    alone.submitKernel(0, KernelWork.of(launch), () -> { });
    alone.runUntilIdle();
    return alone.nowNanos();
  }

  // ---- Device ----

  @Override
  public DeviceBuffer allocate(long bytes) {
    checkOpen();
    if (bytes <= 0 || bytes % 4 != 0) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          "allocation must be a positive multiple of 4 bytes, got " + bytes);
    }
    if (allocatedBytes + bytes > info.memoryBytes()) {
      throw new DeviceException(DeviceException.Reason.OUT_OF_MEMORY, "cannot allocate " + bytes + " bytes: "
          + allocatedBytes + " of " + info.memoryBytes() + " in use on " + info.name());
    }
    SimBuffer b = new SimBuffer(this, bytes, cpu == null ? null : cpu.allocate(bytes));
    allocatedBytes += bytes;
    live.add(b);
    return b;
  }

  @Override
  public void free(DeviceBuffer buffer) {
    SimBuffer b = own(buffer, "free");
    if (!live.remove(b)) {
      throw new DeviceException(DeviceException.Reason.CLOSED, "buffer " + b + " was already freed");
    }
    b.freed = true;
    allocatedBytes -= b.sizeBytes();
    if (b.backing != null) {
      cpu.free(b.backing);
    }
  }

  @Override
  public long allocatedBytes() {
    return allocatedBytes;
  }

  @Override
  public CompletionStage<Void> upload(float[] src, BufferSlice dst, DeviceStream stream) {
    try {
      SimStream s = checkStream(stream);
      dst.checkUploadOf(src.length);
      BufferSlice backing = backing(dst, "upload destination");
      float[] copy = cpu == null ? null : src.clone();
      CompletableFuture<Void> f = new CompletableFuture<>();
      WorkItem item = engine.submitTransfer(s.id(), dst.lengthBytes(), true, () -> finish(f, () -> {
        if (copy != null) {
          cpu.upload(copy, backing, cpu.defaultStream()).toCompletableFuture().join();
        }
        return null;
      }));
      pending.put(item.id(), f);
      return f;
    } catch (DeviceException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
    try {
      SimStream s = checkStream(stream);
      BufferSlice backing = backing(src, "download source");
      CompletableFuture<float[]> f = new CompletableFuture<>();
      WorkItem item = engine.submitTransfer(s.id(), src.lengthBytes(), false, () -> finish(f, () -> cpu == null
          ? new float[(int) src.lengthElements()]
          : cpu.download(backing, cpu.defaultStream()).toCompletableFuture().join()));
      pending.put(item.id(), f);
      return f;
    } catch (DeviceException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public DeviceStream createStream(int priority) {
    checkOpen();
    return new SimStream(this, engine.newStream(priority), priority);
  }

  @Override
  public DeviceStream defaultStream() {
    return defaultStream;
  }

  @Override
  public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
    try {
      SimStream s = checkStream(stream);
      launch.validate();
      List<KernelLaunch> problems = launch.problems();
      List<KernelLaunch> onCpu = new ArrayList<>(problems.size());
      for (KernelLaunch p : problems) {
        List<BufferSlice> args = new ArrayList<>(p.args().size());
        for (int i = 0; i < p.args().size(); i++) {
          args.add(backing(p.args().get(i), p, i));
        }
        if (cpu != null) {
          onCpu.add(new KernelLaunch(p.kernel(), args));
        }
      }
      KernelWork work;
      try {
        work = KernelWork.of(launch);
      } catch (IllegalArgumentException e) {
        throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT, e.getMessage(), e);
      }
      Launch real = cpu == null ? null : launch instanceof GroupedLaunch ? new GroupedLaunch(onCpu) : onCpu.get(0);
      CompletableFuture<Void> f = new CompletableFuture<>();
      WorkItem item;
      try {
        item = engine.submitKernel(s.id(), work, () -> finish(f, () -> {
          if (cpu != null) {
            cpu.launch(real, cpu.defaultStream()).toCompletableFuture().join();
          }
          return null;
        }));
      } catch (IllegalArgumentException e) {
        throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT, e.getMessage(), e);
      }
      pending.put(item.id(), f);
      lastLaunchId = item.id();
      return f;
    } catch (DeviceException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    DeviceException e = new DeviceException(DeviceException.Reason.CLOSED, "device " + info.name() + " was closed");
    List<CompletableFuture<?>> left = new ArrayList<>(pending.values());
    pending.clear();
    for (CompletableFuture<?> f : left) {
      f.completeExceptionally(e);
    }
    live.clear();
    allocatedBytes = 0;
    if (cpu != null) {
      cpu.close();
    }
  }

  // ---- helpers ----

  private interface Work<T> {
    T run();
  }

  /** Completes {@code f} with the work's result, or with the device failure it raised. */
  private <T> void finish(CompletableFuture<T> f, Work<T> work) {
    pending.values().remove(f);
    if (closed) {
      return;
    }
    T result;
    try {
      result = work.run();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      f.completeExceptionally(cause instanceof DeviceException ? cause
          : new DeviceException(DeviceException.Reason.KERNEL_FAILED, cause.toString(), cause));
      return;
    } catch (DeviceException e) {
      f.completeExceptionally(e);
      return;
    }
    f.complete(result);
  }

  private SimStream checkStream(DeviceStream stream) {
    checkOpen();
    if (!(stream instanceof SimStream s) || s.owner() != this) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          "stream " + stream + " does not belong to this device");
    }
    return s;
  }

  /** The CPU slice behind {@code slice} in REAL mode (null otherwise), after ownership and liveness checks. */
  private BufferSlice backing(BufferSlice slice, String role) {
    SimBuffer b = own(slice.buffer(), role);
    if (b.freed) {
      throw new DeviceException(DeviceException.Reason.CLOSED, role + ": buffer " + b + " was freed");
    }
    return b.backing == null ? null : b.backing.slice(slice.offsetBytes(), slice.lengthBytes());
  }

  /**
   * The CPU backing of argument {@code arg} of {@code launch} (null when timing only), after
   * checking it is a live buffer of this device. The argument's name is built only for an error:
   * building it for every argument of every launch cost a quarter of a busy simulation's time.
   */
  private BufferSlice backing(BufferSlice slice, KernelLaunch launch, int arg) {
    if (!(slice.buffer() instanceof SimBuffer b) || b.owner != this || b.freed) {
      String role = launch.kernel() + " argument " + arg + " (" + launch.kernel().argNames().get(arg) + ")";
      return backing(slice, role); // throws, naming the argument
    }
    return b.backing == null ? null : b.backing.slice(slice.offsetBytes(), slice.lengthBytes());
  }

  private SimBuffer own(DeviceBuffer buffer, String role) {
    if (!(buffer instanceof SimBuffer b) || b.owner != this) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          role + ": buffer " + buffer + " does not belong to this device");
    }
    return b;
  }

  private void checkOpen() {
    if (closed) {
      throw new DeviceException(DeviceException.Reason.CLOSED, "device " + info.name() + " is closed");
    }
  }
}
