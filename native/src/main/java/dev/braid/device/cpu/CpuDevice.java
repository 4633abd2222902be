package dev.braid.device.cpu;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceInfo;
import dev.braid.device.DeviceKind;
import dev.braid.device.DeviceStream;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.LiveBuffers;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * The reference device: buffers are float arrays on the Java heap, each stream a serial queue, and
 * kernels run their tasks on one {@link ForkJoinPool} owned by the device. A grouped launch runs
 * the tasks of all its problems together in one fork-join phase.
 *
 * <p>Tiny work runs inline: an upload, a download or a launch touching at most {@link
 * #INLINE_MAX_ELEMENTS} floats in all, submitted to an idle stream, runs on the submitting thread
 * (its tasks one after another) and its stage is complete when the call returns.
 *
 * <p>Invariants: {@code allocatedBytes() <= info().memoryBytes()}; a buffer is live from
 * {@link #allocate} until {@link #free} or {@link #close}. Lifecycle: open -> closed; closing
 * frees every buffer and stops the pool, and later calls fail with reason CLOSED.
 */
public final class CpuDevice implements Device {
  /** Largest buffer a Java float array can back. */
  private static final long MAX_BUFFER_BYTES = 4L * (Integer.MAX_VALUE - 8);

  /**
   * The most floats an upload, a download or a launch (all its arguments together) may touch to
   * run on the submitting thread. Handing work to the pool costs a wake-up there and one back for
   * whoever waits on it, several microseconds each on a busy 2-core machine; 4,096 floats is
   * about a microsecond of copying or of an elementwise kernel, and the worst kernel of that size,
   * a GEMM of 37x37x37, is about 50,000 multiply-adds: tens of microseconds at most.
   */
  static final long INLINE_MAX_ELEMENTS = 4096;

  private final DeviceInfo info;
  private final ForkJoinPool pool;
  private final CpuStream defaultStream;
  private final LiveBuffers<CpuBuffer> live = new LiveBuffers<>();
  private volatile boolean closed;

  /** A device with one thread per available processor and half the JVM's max heap as capacity. */
  public CpuDevice() {
    this(Runtime.getRuntime().availableProcessors());
  }

  /** A device with {@code threads} compute threads and half the JVM's max heap as capacity. */
  public CpuDevice(int threads) {
    this(threads, Runtime.getRuntime().maxMemory() / 2 / 4 * 4);
  }

  /** A device with {@code threads} compute threads and {@code capacityBytes} of memory. */
  public CpuDevice(int threads, long capacityBytes) {
    if (threads <= 0) {
      throw new IllegalArgumentException("threads must be > 0, got " + threads);
    }
    if (capacityBytes <= 0) {
      throw new IllegalArgumentException("capacityBytes must be > 0, got " + capacityBytes);
    }
    this.info = new DeviceInfo("cpu (" + threads + " threads)", DeviceKind.CPU, capacityBytes, Optional.empty());
    this.pool = new ForkJoinPool(threads);
    this.defaultStream = new CpuStream(this, 0, pool);
  }

  @Override
  public DeviceInfo info() {
    return info;
  }

  @Override
  public DeviceBuffer allocate(long bytes) {
    checkOpen();
    if (bytes <= 0 || bytes % 4 != 0 || bytes > MAX_BUFFER_BYTES) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          "allocation must be a positive multiple of 4 up to " + MAX_BUFFER_BYTES + " bytes, got " + bytes);
    }
    live.reserve(bytes, info.memoryBytes());
    CpuBuffer b = new CpuBuffer(this, bytes);
    live.add(b);
    return b;
  }

  @Override
  public void free(DeviceBuffer buffer) {
    CpuBuffer b = own(buffer, "free");
    live.remove(b);
    b.release();
  }

  @Override
  public long allocatedBytes() {
    return live.allocatedBytes();
  }

  @Override
  public CompletionStage<Void> upload(float[] src, BufferSlice dst, DeviceStream stream) {
    try {
      dst.checkUploadOf(src.length);
    } catch (DeviceException e) {
      return failed(e);
    }
    return submit(stream, src.length <= INLINE_MAX_ELEMENTS, () -> {
      System.arraycopy(src, 0, data(dst, "upload destination"), (int) dst.offsetElements(), src.length);
      return null;
    });
  }

  @Override
  public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
    return submit(stream, src.lengthElements() <= INLINE_MAX_ELEMENTS, () -> {
      float[] out = new float[(int) src.lengthElements()];
      System.arraycopy(data(src, "download source"), (int) src.offsetElements(), out, 0, out.length);
      return out;
    });
  }

  @Override
  public DeviceStream createStream(int priority) {
    checkOpen();
    return new CpuStream(this, priority, pool);
  }

  @Override
  public DeviceStream defaultStream() {
    return defaultStream;
  }

  @Override
  public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
    List<KernelLaunch> problems;
    try {
      launch.validate();
      problems = launch.problems();
    } catch (DeviceException e) {
      return failed(e);
    }
    long elements = 0;
    for (KernelLaunch p : problems) {
      for (BufferSlice a : p.args()) {
        elements += a.lengthElements();
      }
    }
    return submit(stream, elements <= INLINE_MAX_ELEMENTS, () -> {
      List<Work> works = new ArrayList<>(problems.size());
      int phases = 0;
      for (KernelLaunch p : problems) {
        Work w = CpuKernels.plan(p.kernel(), args(p));
        works.add(w);
        phases = Math.max(phases, w.phaseCount());
      }
      for (int ph = 0; ph < phases; ph++) {
        List<ForkJoinTask<?>> tasks = new ArrayList<>();
        for (Work w : works) {
          for (Runnable r : w.phase(ph)) {
            tasks.add(ForkJoinTask.adapt(r));
          }
        }
        runAll(tasks, problems);
      }
      return null;
    });
  }

  private void runAll(List<ForkJoinTask<?>> tasks, List<KernelLaunch> problems) {
    try {
      if (!(Thread.currentThread() instanceof ForkJoinWorkerThread w) || w.getPool() != pool) {
        for (ForkJoinTask<?> t : tasks) { // inline on the submitting thread: not this pool's to fork into
          t.invoke();
        }
      } else if (tasks.size() == 1) {
        tasks.get(0).invoke();
      } else {
        ForkJoinTask.invokeAll(tasks);
      }
    } catch (DeviceException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new DeviceException(DeviceException.Reason.KERNEL_FAILED,
          "kernel " + problems.get(0).kernel() + (problems.size() > 1 ? " (grouped, " + problems.size() + " problems)" : "")
              + " failed: " + e, e);
    }
  }

  private Args args(KernelLaunch launch) {
    List<BufferSlice> slices = launch.args();
    float[][] arrays = new float[slices.size()][];
    int[] offsets = new int[slices.size()];
    for (int i = 0; i < arrays.length; i++) {
      BufferSlice slice = slices.get(i);
      // The role names the kernel (a String.format each): built only when the argument is bad.
      float[] d = slice.buffer() instanceof CpuBuffer b && b.owner() == this ? b.data() : null;
      arrays[i] = d != null ? d : data(slice, launch.kernel() + " argument " + i + " ("
          + launch.kernel().argNames().get(i) + ")");
      offsets[i] = (int) slice.offsetElements();
    }
    return new Args(arrays, offsets);
  }

  private float[] data(BufferSlice slice, String role) {
    CpuBuffer b = own(slice.buffer(), role);
    float[] d = b.data();
    if (d == null) {
      throw new DeviceException(DeviceException.Reason.CLOSED, role + ": buffer " + b + " was freed");
    }
    return d;
  }

  private CpuBuffer own(DeviceBuffer buffer, String role) {
    if (!(buffer instanceof CpuBuffer b) || b.owner() != this) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          role + ": buffer " + buffer + " does not belong to this device");
    }
    return b;
  }

  private <T> CompletionStage<T> submit(DeviceStream stream, boolean inline, java.util.function.Supplier<T> work) {
    if (closed) {
      return failed(new DeviceException(DeviceException.Reason.CLOSED, "device " + info.name() + " is closed"));
    }
    if (!(stream instanceof CpuStream s) || s.owner() != this) {
      return failed(new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          "stream " + stream + " does not belong to this device"));
    }
    return s.submit(work, inline).exceptionallyCompose(CpuDevice::unwrap);
  }

  private static <T> CompletionStage<T> unwrap(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return CompletableFuture.failedFuture(cause);
  }

  private static <T> CompletionStage<T> failed(Throwable e) {
    return CompletableFuture.failedFuture(e);
  }

  private void checkOpen() {
    if (closed) {
      throw new DeviceException(DeviceException.Reason.CLOSED, "device " + info.name() + " is closed");
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (CpuBuffer b : live.clear()) {
      b.release();
    }
    pool.shutdown();
  }
}
