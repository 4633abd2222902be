package dev.braid.device.cuda;

import static jcuda.driver.JCudaDriver.cuCtxGetStreamPriorityRange;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreateWithPriority;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;

import dev.braid.device.GpuSpec;
import dev.braid.device.cuda.KernelParam.F32;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cuda.KernelParam.I64;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.cuda.KernelParam.Struct;
import dev.braid.device.cuda.PinnedStaging.Pinned;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * The one thread that owns a GPU's primary context and makes every CUDA driver call of a
 * {@link CudaDevice}: it runs submitted tasks in order and, between them, polls the completion
 * events of work in flight with {@code cuEventQuery} (a non-blocking query; the loop parks
 * {@value #POLL_PARK_NANOS} ns between polls while work is pending and waits for tasks otherwise).
 *
 * <p>Lifecycle: started by {@link CudaDevice#open} (context current, module loaded, pool region
 * allocated) -> running -> stopped by {@link #shutdown}. Everything here except the task queue
 * and the {@code stopping} flag is confined to this thread.
 *
 * <p>A finished operation's outcome is handed to {@link Op#settle}, which CudaDevice implements by
 * completing the caller's future on another thread, so no caller code ever runs here.
 */
final class CudaContext implements Runnable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CudaContext.class);
  /** Park between event polls while work is in flight: completion latency ~ this plus timer slack. */
  static final long POLL_PARK_NANOS = 20_000;
  /** Wait for a task when idle; bounds how long a stop request waits. */
  static final long IDLE_WAIT_MILLIS = 100;

  /** What an in-flight operation does when its event fires or it fails: runs on this thread. */
  interface Op {
    /** Reads results out of pinned memory; returns the value or throws a DeviceException. */
    Object finish();

    /** Delivers the outcome (exactly once): {@code error} null on success. */
    void settle(Object value, RuntimeException error);
  }

  /** Static facts read at start. */
  record Facts(String name, long totalMemoryBytes, GpuSpec spec, int leastPriority, int greatestPriority,
      long poolBase, long poolBytes, int computeMajor, int computeMinor) {}

  private final int ordinal;
  private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
  private final Map<String, CUfunction> functions = new HashMap<>();
  private final List<CUstream> streams = new ArrayList<>();
  private final PinnedStaging staging = new PinnedStaging();
  private final InFlightOps inFlight;
  private volatile boolean stopping;
  private CUdevice device;
  private CUcontext context;
  private CUmodule module;
  private DevicePointer pool;

  CudaContext(int ordinal, Consumer<CudaFailure> onSticky) {
    this.ordinal = ordinal;
    this.inFlight = new InFlightOps(staging, onSticky);
  }

  static void check(int result, String call) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new CudaFailure(result, call);
    }
  }

  /** Runs on this thread: makes the primary context current, loads the kernels, allocates the pool. */
  Facts start(byte[] fatbin, List<String> kernels, double poolFraction) {
    check(cuInit(0), "cuInit");
    device = new CUdevice();
    check(cuDeviceGet(device, ordinal), "cuDeviceGet(" + ordinal + ")");
    context = new CUcontext();
    check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
    check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    byte[] nameBytes = new byte[256];
    check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
    String name = new String(nameBytes, StandardCharsets.US_ASCII).trim().replace("\0", "");
    long[] total = new long[1];
    check(jcuda.driver.JCudaDriver.cuDeviceTotalMem(total, device), "cuDeviceTotalMem");
    int major = attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    int minor = attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    int clock = attrOrZero(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
    int memClock = attrOrZero(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
    int bus = attrOrZero(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
    if (GpuSpecs.clocksMissing(clock, memClock, bus)) {
      LOG.warn("cuda:{}: the driver reports clock {} kHz, memory clock {} kHz, bus {} bits; the GpuSpec uses fallbacks "
          + "for the missing ones", ordinal, clock, memClock, bus);
    }
    GpuSpec spec = GpuSpecs.of(major, minor,
        attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
        attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR),
        attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR),
        attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR),
        attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR),
        clock, memClock, bus);
    module = new CUmodule();
    check(cuModuleLoadData(module, fatbin), "cuModuleLoadData(braid_kernels.fatbin)");
    for (String k : kernels) {
      CUfunction f = new CUfunction();
      check(cuModuleGetFunction(f, module, k), "cuModuleGetFunction(" + k + ")");
      functions.put(k, f);
    }
    int[] least = new int[1], greatest = new int[1];
    check(cuCtxGetStreamPriorityRange(least, greatest), "cuCtxGetStreamPriorityRange");
    long[] free = new long[1], all = new long[1];
    check(cuMemGetInfo(free, all), "cuMemGetInfo");
    long poolBytes = (long) (free[0] * poolFraction) / DeviceMemoryPool.ALIGNMENT * DeviceMemoryPool.ALIGNMENT;
    pool = new DevicePointer();
    check(cuMemAlloc(pool, poolBytes), "cuMemAlloc(pool of " + poolBytes + " bytes, " + poolFraction
        + " of " + free[0] + " free)");
    return new Facts(name, total[0], spec, least[0], greatest[0], pool.address(), poolBytes, major, minor);
  }

  private int attr(int attribute) {
    int[] v = new int[1];
    check(cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
    return v[0];
  }

  private int attrOrZero(int attribute) {
    int[] v = new int[1];
    return cuDeviceGetAttribute(v, attribute, device) == CUresult.CUDA_SUCCESS ? v[0] : 0;
  }

  /** Runs on this thread: a new non-blocking stream at CUDA priority {@code cudaPriority}. */
  CUstream createStream(int cudaPriority) {
    CUstream s = new CUstream();
    check(cuStreamCreateWithPriority(s, CUstream_flags.CU_STREAM_NON_BLOCKING, cudaPriority),
        "cuStreamCreateWithPriority(" + cudaPriority + ")");
    streams.add(s);
    return s;
  }

  void submit(Runnable task) {
    tasks.add(task);
  }

  boolean hasFunction(String name) {
    return functions.containsKey(name);
  }

  /** Runs on this thread: copies {@code src} to {@code address} on {@code stream}; completes {@code op} after. */
  void upload(float[] src, long address, CUstream stream, String label, Op op) {
    List<Pinned> pinned = new ArrayList<>(1);
    RuntimeException issue = null;
    try {
      // in pieces of at most 1 GiB: a pinned buffer is one ByteBuffer (PinnedStaging)
      for (PinnedStaging.Piece piece : PinnedStaging.pieces(4L * src.length)) {
        Pinned p = staging.acquire(piece.bytes());
        pinned.add(p);
        PinnedStaging.fill(src, piece, p.bytes(piece.bytes()));
        check(cuMemcpyHtoDAsync(devicePointer(address + piece.offset()), p.pointer(), piece.bytes(), stream),
            "cuMemcpyHtoDAsync");
      }
    } catch (RuntimeException e) {
      issue = e;
    }
    inFlight.record(stream, label, op, pinned, () -> {}, issue);
  }

  /**
   * Runs on this thread: copies {@code bytes} from {@code address} into a pinned buffer on
   * {@code stream}; the Op {@code opFor} makes of that buffer reads it when the copy completed.
   */
  void download(long address, long bytes, CUstream stream, String label,
      java.util.function.Function<List<Pinned>, Op> opFor) {
    List<Pinned> pinned = new ArrayList<>(1);
    RuntimeException issue = null;
    try {
      // in pieces of at most 1 GiB, pinned.get(i) holding PinnedStaging.pieces(bytes).get(i)
      for (PinnedStaging.Piece piece : PinnedStaging.pieces(bytes)) {
        copyBack(address + piece.offset(), piece.bytes(), stream, pinned);
      }
    } catch (RuntimeException e) {
      issue = e;
    }
    inFlight.record(stream, label, opFor.apply(List.copyOf(pinned)), pinned, () -> {}, issue);
  }

  private Pinned copyBack(long address, long bytes, CUstream stream, List<Pinned> pinned) {
    Pinned p = staging.acquire(Math.max(4, bytes));
    pinned.add(p);
    if (bytes > 0) {
      check(cuMemcpyDtoHAsync(p.pointer(), devicePointer(address), bytes, stream), "cuMemcpyDtoHAsync");
    }
    return p;
  }

  /**
   * Runs on this thread: issues a packed launch (uploads, calls, status read-backs) on
   * {@code stream}. {@code statusWords} receives the pinned buffers the checks read into, in order.
   */
  void launch(PackedLaunch packed, CUstream stream, List<Pinned> statusWords, Op op, Runnable release) {
    List<Pinned> pinned = new ArrayList<>();
    RuntimeException issue = null;
    String current = packed.label();
    try {
      for (PackedLaunch.Upload u : packed.uploads()) {
        byte[] b = u.bytes();
        for (PinnedStaging.Piece piece : PinnedStaging.pieces(b.length)) {
          Pinned p = staging.acquire(piece.bytes());
          pinned.add(p);
          p.bytes(piece.bytes()).put(b, (int) piece.offset(), (int) piece.bytes());
          check(cuMemcpyHtoDAsync(devicePointer(u.address() + piece.offset()), p.pointer(), piece.bytes(), stream),
              "cuMemcpyHtoDAsync");
        }
      }
      for (KernelCall c : packed.calls()) {
        current = c.function();
        CUfunction f = functions.get(c.function());
        if (f == null) {
          throw new IllegalStateException("kernel " + c.function() + " is not in braid_kernels.fatbin");
        }
        check(cuLaunchKernel(f, c.gridX(), c.gridY(), c.gridZ(), c.blockX(), c.blockY(), c.blockZ(),
            c.sharedBytes(), stream, params(c.params()), null), "cuLaunchKernel(" + c.function() + ")");
      }
      for (PackedLaunch.StatusCheck s : packed.checks()) {
        statusWords.add(copyBack(s.address(), 4, stream, pinned));
      }
    } catch (RuntimeException e) {
      issue = e;
    }
    inFlight.record(stream, packed.label(), op, pinned, release, issue);
  }

  /** The JCuda kernelParams array: a pointer to each parameter's value. */
  static Pointer params(List<KernelParam> params) {
    Pointer[] p = new Pointer[params.size()];
    for (int i = 0; i < p.length; i++) {
      KernelParam kp = params.get(i);
      if (kp instanceof Ptr ptr) {
        p[i] = Pointer.to(new long[] {ptr.address()});
      } else if (kp instanceof I32 v) {
        p[i] = Pointer.to(new int[] {v.value()});
      } else if (kp instanceof I64 v) {
        p[i] = Pointer.to(new long[] {v.value()});
      } else if (kp instanceof F32 v) {
        p[i] = Pointer.to(new float[] {v.value()});
      } else {
        p[i] = Pointer.to(((Struct) kp).bytes());
      }
    }
    return Pointer.to(p);
  }

  private jcuda.driver.CUdeviceptr devicePointer(long address) {
    return pool.withByteOffset(address - pool.address());
  }

  /** Asks the loop to stop after failing work in flight with {@code error}; frees the context's resources. */
  void shutdown(RuntimeException error) {
    tasks.add(() -> {
      inFlight.abandon(error);
      stopping = true;
    });
  }

  @Override
  public void run() {
    try {
      while (!stopping) {
        Runnable t;
        try {
          t = inFlight.isEmpty() ? tasks.poll(IDLE_WAIT_MILLIS, TimeUnit.MILLISECONDS)
              : tasks.poll(POLL_PARK_NANOS, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        while (t != null) {
          try {
            t.run();
          } catch (RuntimeException e) {
            LOG.error("cuda:{} context task failed", ordinal, e);
          }
          if (stopping) {
            break;
          }
          t = tasks.poll();
        }
        if (!inFlight.isEmpty()) {
          inFlight.poll();
        }
      }
    } finally {
      release();
    }
  }

  /** Frees the driver resources this context holds; errors are ignored (the context may be lost). */
  private void release() {
    inFlight.destroyEvents();
    for (CUstream s : streams) {
      cuStreamDestroy(s);
    }
    streams.clear();
    staging.freeAll();
    if (pool != null) {
      cuMemFree(pool);
    }
    if (module != null) {
      cuModuleUnload(module);
    }
    if (context != null) {
      cuDevicePrimaryCtxRelease(device);
    }
  }

  /** A task that runs {@code body} on this thread and completes {@code result}. */
  static <T> Runnable call(java.util.concurrent.Callable<T> body, CompletableFuture<T> result) {
    return () -> {
      try {
        result.complete(body.call());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    };
  }
}
