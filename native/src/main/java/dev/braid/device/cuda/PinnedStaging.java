package dev.braid.device.cuda;

import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUresult;

/**
 * Page-locked host buffers for asynchronous copies, recycled by power-of-two size class because
 * {@code cuMemHostAlloc} costs about a millisecond per call. Confined to the context thread.
 *
 * <p>Lifecycle of a buffer: acquired -> in flight (a copy on a stream reads or writes it) ->
 * released when that copy's completion event fired -> cached or freed. Invariant: cached bytes
 * stay at or under {@link #CACHE_LIMIT_BYTES}.
 */
final class PinnedStaging {
  /** Smallest class: 4 KiB, one page; status words and small tables share it. */
  static final int MIN_CLASS_LOG2 = 12;
  /** Cached (idle) pinned memory kept for reuse: 256 MiB, room for a few large activations. */
  static final long CACHE_LIMIT_BYTES = 256L << 20;

  /** One pinned buffer of {@code capacity} bytes. */
  record Pinned(Pointer pointer, long capacity) {}

  private final Map<Integer, ArrayDeque<Pinned>> cache = new HashMap<>();
  private long cachedBytes;

  /** A pinned buffer of at least {@code bytes}; throws CudaFailure when the host is out of pinned memory. */
  Pinned acquire(long bytes) {
    int cls = classOf(bytes);
    ArrayDeque<Pinned> q = cache.get(cls);
    if (q != null && !q.isEmpty()) {
      Pinned p = q.pop();
      cachedBytes -= p.capacity();
      return p;
    }
    long cap = 1L << cls;
    Pointer ptr = new Pointer();
    int r = cuMemHostAlloc(ptr, cap, 0);
    if (r != CUresult.CUDA_SUCCESS) {
      throw new CudaFailure(r, "cuMemHostAlloc(" + cap + " bytes)");
    }
    return new Pinned(ptr, cap);
  }

  void release(Pinned p) {
    if (cachedBytes + p.capacity() <= CACHE_LIMIT_BYTES) {
      cache.computeIfAbsent(Long.numberOfTrailingZeros(p.capacity()), k -> new ArrayDeque<>()).push(p);
      cachedBytes += p.capacity();
    } else {
      cuMemFreeHost(p.pointer());
    }
  }

  /** Frees every cached buffer (at close). */
  void freeAll() {
    for (ArrayDeque<Pinned> q : cache.values()) {
      for (Pinned p : q) {
        cuMemFreeHost(p.pointer());
      }
    }
    cache.clear();
    cachedBytes = 0;
  }

  static int classOf(long bytes) {
    int log2 = 64 - Long.numberOfLeadingZeros(Math.max(1, bytes) - 1);
    return Math.max(MIN_CLASS_LOG2, log2);
  }
}
