package dev.braid.device.cuda;

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
import dev.braid.device.cuda.PinnedStaging.Pinned;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jcuda.driver.CUstream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NVIDIA GPU driven through JCuda's driver API, running Braid's own kernels from
 * {@code braid_kernels.fatbin}.
 *
 * <p>Threads: one context thread ({@code braid-cudaN}, see {@link CudaContext}) owns the GPU's
 * primary context and makes every driver call; one completion thread ({@code braid-cudaN-done})
 * completes the futures this device returns, so a caller's callbacks never run on the context
 * thread and a slow callback never delays the GPU. Callers' threads only validate arguments,
 * allocate from the {@link DeviceMemoryPool} and enqueue tasks; they never block on the GPU
 * (except {@link #open} and {@link #createStream}, which wait for the context thread).
 *
 * <p>Memory: one {@code cuMemAlloc} region, {@code poolFraction} of the memory free after the
 * context and module were created, carved by the pool; {@code info().memoryBytes()} is its size.
 * Uploads and downloads stage through recycled pinned host buffers and copy asynchronously.
 *
 * <p>Errors: a malformed launch fails its stage with INVALID_ARGUMENT; pool exhaustion with
 * OUT_OF_MEMORY naming requested and free bytes; a CUDA error fails the stages it touched with
 * KERNEL_FAILED naming the kernel and the CUDA error's name. A sticky error (the context is lost,
 * {@link CudaErrors#isSticky}) fails everything in flight, marks the device unhealthy
 * ({@link #healthy()} false) and every later call fails fast saying why. {@link #close()} fails
 * whatever is still pending, so no stage is left hanging.
 *
 * <p>Lifecycle: open -> (unhealthy) -> closed.
 */
public final class CudaDevice implements Device {
  private static final Logger LOG = LoggerFactory.getLogger(CudaDevice.class);
  /** Share of free device memory the pool takes: the rest is left to the driver (module JIT, lazy loading, other processes). */
  public static final double DEFAULT_POOL_FRACTION = 0.85;
  /** How long open, createStream and close wait for the context thread. */
  static final long CONTEXT_WAIT_SECONDS = 60;

  private final int ordinal;
  private final String key;
  private final CudaContext context;
  private final Thread contextThread;
  private final CudaCompleter completer;
  private final DeviceInfo info;
  private final CudaContext.Facts facts;
  private final DeviceMemoryPool pool;
  private final CudaStream defaultStream;
  private final LiveBuffers<CudaBuffer> live = new LiveBuffers<>();
  private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();
  private final LaunchPacker.Scratch scratch;
  private volatile String unhealthy;
  private volatile boolean closed;

  private CudaDevice(int ordinal, double poolFraction) {
    this.ordinal = ordinal;
    this.key = "cuda:" + ordinal;
    this.context = new CudaContext(ordinal, this::markUnhealthy);
    this.contextThread = new Thread(context, "braid-cuda" + ordinal);
    contextThread.setDaemon(true);
    this.completer = new CudaCompleter(ordinal, key);
    KernelManifest manifest = KernelManifest.load();
    byte[] fatbin = KernelManifest.fatbin();
    contextThread.start();
    CompletableFuture<CudaContext.Facts> started = new CompletableFuture<>();
    context.submit(CudaContext.call(() -> context.start(fatbin, manifest.kernels(), poolFraction), started));
    CudaContext.Facts f;
    try {
      f = started.get(CONTEXT_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      context.shutdown(new DeviceException(DeviceException.Reason.CLOSED, key + " failed to open"));
      completer.shutdown();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new DeviceException(DeviceException.Reason.KERNEL_FAILED,
          "device '" + key + "' unavailable: " + cause.getMessage(), cause);
    }
    this.facts = f;
    this.pool = new DeviceMemoryPool(f.poolBase(), f.poolBytes());
    this.info = new DeviceInfo(f.name() + " (" + key + ", sm_" + f.computeMajor() + f.computeMinor()
        + (CudaEmulator.active() ? ", emulated on the CPU: not a GPU" : "") + ")",
        DeviceKind.CUDA, pool.capacityBytes(), Optional.of(f.spec()));
    this.scratch = new LaunchPacker.Scratch() {
      @Override
      public long allocate(long bytes) {
        return pool.allocate(bytes);
      }

      @Override
      public void free(long address) {
        pool.free(address);
      }
    };
    this.defaultStream = newStream(0);
    LOG.info("{}: {} with {} MiB, pool {} MiB, {} SMs, stream priorities [{}, {}]", key, f.name(),
        f.totalMemoryBytes() >> 20, f.poolBytes() >> 20, f.spec().smCount(), f.greatestPriority(), f.leastPriority());
  }

  /** Opens GPU {@code ordinal} with the default pool share; throws DeviceException "device 'cuda:N' unavailable: why". */
  public static CudaDevice open(int ordinal) {
    return open(ordinal, DEFAULT_POOL_FRACTION);
  }

  /** Opens GPU {@code ordinal}; the pool takes {@code poolFraction} (0, 1) of the free memory. */
  public static CudaDevice open(int ordinal, double poolFraction) {
    if (ordinal < 0) {
      throw new IllegalArgumentException("CUDA ordinal must be >= 0, got " + ordinal);
    }
    if (!(poolFraction > 0 && poolFraction < 1)) {
      throw new IllegalArgumentException("poolFraction must be in (0, 1), got " + poolFraction);
    }
    CudaProbe.Result probe = CudaProbe.probe(ordinal);
    if (!probe.available()) {
      throw new DeviceException(DeviceException.Reason.CLOSED,
          "device 'cuda:" + ordinal + "' unavailable: " + probe.reason());
    }
    return new CudaDevice(ordinal, poolFraction);
  }

  @Override
  public DeviceInfo info() {
    return info;
  }

  /** False once a sticky CUDA error lost the context or the device closed; it then takes no work. */
  @Override
  public boolean healthy() {
    return unhealthy == null && !closed;
  }

  /** The CUDA priority range of this context: [greatest (most urgent), least]. */
  public int[] streamPriorityRange() {
    return new int[] {facts.greatestPriority(), facts.leastPriority()};
  }

  @Override
  public DeviceBuffer allocate(long bytes) {
    checkUsable();
    if (bytes <= 0 || bytes % 4 != 0) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          "allocation must be a positive multiple of 4 bytes, got " + bytes);
    }
    CudaBuffer b = new CudaBuffer(this, pool.allocate(bytes), bytes);
    live.reserve(bytes, pool.capacityBytes()); // the pool's bytes fit the pool: never refused
    live.add(b);
    return b;
  }

  @Override
  public void free(DeviceBuffer buffer) {
    CudaBuffer b = own(buffer, "free");
    live.remove(b);
    pool.free(b.address());
  }

  @Override
  public long allocatedBytes() {
    return live.allocatedBytes();
  }

  @Override
  public CompletionStage<Void> upload(float[] src, BufferSlice dst, DeviceStream stream) {
    String label = "upload of " + src.length + " floats";
    CompletableFuture<Void> f = new CompletableFuture<>();
    try {
      checkUsable();
      CudaStream s = ownStream(stream);
      dst.checkUploadOf(src.length);
      long address = address(dst, "upload destination");
      checkTransfer(dst.lengthBytes());
      if (src.length == 0) {
        return CompletableFuture.completedFuture(null);
      }
      enqueue(f, label, () -> context.upload(src, address, s.handle, label, completer.op(f, label, () -> null)));
    } catch (DeviceException e) {
      f.completeExceptionally(e);
    }
    return f;
  }

  @Override
  public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
    String label = "download of " + src.lengthElements() + " floats";
    CompletableFuture<float[]> f = new CompletableFuture<>();
    try {
      checkUsable();
      CudaStream s = ownStream(stream);
      long address = address(src, "download source");
      checkTransfer(src.lengthBytes());
      int n = (int) src.lengthElements();
      if (n == 0) {
        return CompletableFuture.completedFuture(new float[0]);
      }
      enqueue(f, label, () -> context.download(address, 4L * n, s.handle, label, pinned -> completer.op(f, label, () -> {
        float[] out = new float[n];
        List<PinnedStaging.Piece> pieces = PinnedStaging.pieces(4L * n);
        for (int i = 0; i < pieces.size(); i++) {
          PinnedStaging.drain(pinned.get(i).bytes(pieces.get(i).bytes()), pieces.get(i), out);
        }
        return out;
      })));
    } catch (DeviceException e) {
      f.completeExceptionally(e);
    }
    return f;
  }

  @Override
  public DeviceStream createStream(int priority) {
    return newStream(priority);
  }

  private CudaStream newStream(int priority) {
    checkUsable();
    int cudaPriority = GpuSpecs.streamPriority(priority, facts.leastPriority(), facts.greatestPriority());
    CompletableFuture<CUstream> made = new CompletableFuture<>();
    context.submit(CudaContext.call(() -> context.createStream(cudaPriority), made));
    try {
      return new CudaStream(this, priority, cudaPriority, made.get(CONTEXT_WAIT_SECONDS, TimeUnit.SECONDS));
    } catch (ExecutionException e) {
      throw new DeviceException(DeviceException.Reason.KERNEL_FAILED,
          key + ": cannot create a stream at priority " + priority + ": " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new DeviceException(DeviceException.Reason.KERNEL_FAILED,
          key + ": the context thread did not create a stream within " + CONTEXT_WAIT_SECONDS + " s", e);
    }
  }

  @Override
  public DeviceStream defaultStream() {
    return defaultStream;
  }

  @Override
  public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    try {
      checkUsable();
      CudaStream s = ownStream(stream);
      launch.validate();
      for (KernelLaunch p : launch.problems()) {
        for (int i = 0; i < p.args().size(); i++) {
          address(p.args().get(i), p.kernel() + " argument " + i + " (" + p.kernel().argNames().get(i) + ")");
        }
      }
      PackedLaunch packed = LaunchPacker.pack(launch, slice -> address(slice, "argument"), scratch);
      Runnable release = () -> packed.scratch().forEach(pool::free);
      enqueue(f, packed.label(), () -> {
        List<Pinned> status = new ArrayList<>();
        context.launch(packed, s.handle, status, completer.op(f, packed.label(), () -> {
          for (int i = 0; i < status.size(); i++) {
            int word = status.get(i).pointer().getByteBuffer(0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            if (word != 0) {
              throw new DeviceException(DeviceException.Reason.INVALID_DATA,
                  packed.checks().get(i).failure() + " (index position " + (word - 1) + ")");
            }
          }
          return null;
        }), release);
      }, release);
    } catch (DeviceException | IllegalArgumentException e) {
      f.completeExceptionally(e instanceof DeviceException ? e
          : new DeviceException(DeviceException.Reason.INVALID_ARGUMENT, e.getMessage(), e));
    }
    return f;
  }

  /** Queues {@code issue} for the context thread, failing {@code f} if the device is unusable by then. */
  private void enqueue(CompletableFuture<?> f, String label, Runnable issue) {
    enqueue(f, label, issue, () -> { });
  }

  private void enqueue(CompletableFuture<?> f, String label, Runnable issue, Runnable releaseIfSkipped) {
    pending.add(f);
    f.whenComplete((v, e) -> pending.remove(f));
    context.submit(() -> {
      if (closed || unhealthy != null) {
        releaseIfSkipped.run();
        f.completeExceptionally(unusable(label));
        return;
      }
      issue.run();
    });
  }

  private void markUnhealthy(CudaFailure failure) {
    if (unhealthy == null) {
      unhealthy = failure.getMessage();
      LOG.error("{} ({}) is unhealthy and takes no more work: {}", key, facts == null ? "" : facts.name(), unhealthy);
    }
  }

  private DeviceException unusable(String what) {
    if (closed) {
      return new DeviceException(DeviceException.Reason.CLOSED, "device " + key + " is closed" + (what.isEmpty() ? "" : ": " + what));
    }
    return new DeviceException(DeviceException.Reason.KERNEL_FAILED,
        "device " + key + " is unhealthy after a CUDA error and takes no more work: " + unhealthy
            + (what.isEmpty() ? "" : " (refused: " + what + ")"));
  }

  /**
   * One transfer moves one Java float array, so at most {@code Integer.MAX_VALUE} floats; it is
   * staged through pinned buffers of at most 1 GiB each ({@link PinnedStaging#pieces}).
   */
  private static void checkTransfer(long bytes) {
    if (bytes / 4 > Integer.MAX_VALUE) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          "one transfer moves at most " + Integer.MAX_VALUE + " floats (a Java array), got " + bytes / 4);
    }
  }

  private void checkUsable() {
    if (closed || unhealthy != null) {
      throw unusable("");
    }
  }

  private long address(BufferSlice slice, String role) {
    CudaBuffer b = own(slice.buffer(), role);
    if (!live.contains(b)) {
      throw new DeviceException(DeviceException.Reason.CLOSED, role + ": buffer " + b + " was freed");
    }
    return b.address() + slice.offsetBytes();
  }

  private CudaBuffer own(DeviceBuffer buffer, String role) {
    if (!(buffer instanceof CudaBuffer b) || b.owner() != this) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          role + ": buffer " + buffer + " does not belong to " + key);
    }
    return b;
  }

  private CudaStream ownStream(DeviceStream stream) {
    if (!(stream instanceof CudaStream s) || s.owner() != this) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT, "stream " + stream + " does not belong to " + key);
    }
    return s;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    DeviceException closing = new DeviceException(DeviceException.Reason.CLOSED, "device " + key + " closed with work in flight");
    context.shutdown(closing);
    try {
      contextThread.join(TimeUnit.SECONDS.toMillis(CONTEXT_WAIT_SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (contextThread.isAlive()) {
      LOG.warn("{}: the context thread did not stop within {} s; abandoning it", key, CONTEXT_WAIT_SECONDS);
    }
    for (CompletableFuture<?> f : pending) {
      f.completeExceptionally(closing);
    }
    completer.shutdown();
    live.clear();
  }

  @Override
  public String toString() {
    return "CudaDevice[" + key + ", " + (info == null ? "" : info.name()) + "]";
  }

  int ordinal() {
    return ordinal;
  }
}
