package dev.braid.device.cuda;

import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUresult;

/**
 * Page-locked host buffers for asynchronous copies, recycled by power-of-two size class because
 * {@code cuMemHostAlloc} costs about a millisecond per call. Confined to the context thread.
 *
 * <p>A buffer is read and written as one {@link ByteBuffer}, whose capacity is an {@code int}, so
 * no buffer exceeds {@link #MAX_PIECE_BYTES} (1 GiB, the largest power of two under 2^31): a
 * transfer larger than that is staged in {@link #pieces}, each its own buffer and its own copy.
 * (Rounding a 1.5 GiB transfer up to one 2 GiB buffer, as this class once did, asked for a
 * ByteBuffer that cannot exist.)
 *
 * <p>Lifecycle of a buffer: acquired -> in flight (a copy on a stream reads or writes it) ->
 * released when that copy's completion event fired -> cached or freed. Invariant: cached bytes
 * stay at or under {@link #CACHE_LIMIT_BYTES}.
 */
final class PinnedStaging {
  /** Smallest class: 4 KiB, one page; status words and small tables share it. */
  static final int MIN_CLASS_LOG2 = 12;
  /** Largest class: 2^30 bytes, the largest power of two a ByteBuffer (int capacity) can hold. */
  static final int MAX_CLASS_LOG2 = 30;
  /** The largest piece of a transfer, and of a pinned buffer: 1 GiB. */
  static final long MAX_PIECE_BYTES = 1L << MAX_CLASS_LOG2;
  /** Cached (idle) pinned memory kept for reuse: 256 MiB, room for a few large activations. */
  static final long CACHE_LIMIT_BYTES = 256L << 20;

  /** One pinned buffer of {@code capacity} bytes. */
  record Pinned(Pointer pointer, long capacity) {
    /** The first {@code bytes} of the buffer, in native byte order. */
    ByteBuffer bytes(long bytes) {
      if (bytes < 0 || bytes > capacity) {
        throw new IllegalArgumentException("a view of " + bytes + " bytes of a " + capacity + "-byte pinned buffer");
      }
      return pointer.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder());
    }
  }

  /** Bytes {@code [offset, offset + bytes)} of one transfer, staged in one pinned buffer. */
  record Piece(long offset, long bytes) {}

  /** Where pinned memory comes from: {@code cuMemHostAlloc} and {@code cuMemFreeHost}, or a test's fake. */
  interface HostAllocator {
    Pointer allocate(long bytes);

    void free(Pointer p);
  }

  /** The driver's page-locked allocator; throws CudaFailure when the host is out of pinned memory. */
  static final HostAllocator CUDA = new HostAllocator() {
    @Override
    public Pointer allocate(long bytes) {
      Pointer ptr = new Pointer();
      int r = cuMemHostAlloc(ptr, bytes, 0);
      if (r != CUresult.CUDA_SUCCESS) {
        throw new CudaFailure(r, "cuMemHostAlloc(" + bytes + " bytes)");
      }
      return ptr;
    }

    @Override
    public void free(Pointer p) {
      cuMemFreeHost(p);
    }
  };

  private final HostAllocator allocator;
  private final Map<Integer, ArrayDeque<Pinned>> cache = new HashMap<>();
  private long cachedBytes;

  PinnedStaging() {
    this(CUDA);
  }

  PinnedStaging(HostAllocator allocator) {
    this.allocator = allocator;
  }

  /**
   * The pieces a transfer of {@code bytes} is staged in: consecutive, covering it exactly, each of
   * {@link #MAX_PIECE_BYTES} but the last. One piece (possibly empty) for a transfer that fits.
   */
  static List<Piece> pieces(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("a transfer of " + bytes + " bytes");
    }
    List<Piece> out = new ArrayList<>((int) (bytes / MAX_PIECE_BYTES) + 1);
    long offset = 0;
    do {
      long n = Math.min(MAX_PIECE_BYTES, bytes - offset);
      out.add(new Piece(offset, n));
      offset += n;
    } while (offset < bytes);
    return out;
  }

  /**
   * A pinned buffer of at least {@code bytes}, at most {@link #MAX_PIECE_BYTES}; throws
   * CudaFailure when the host is out of pinned memory.
   */
  Pinned acquire(long bytes) {
    int cls = classOf(bytes);
    ArrayDeque<Pinned> q = cache.get(cls);
    if (q != null && !q.isEmpty()) {
      Pinned p = q.pop();
      cachedBytes -= p.capacity();
      return p;
    }
    long cap = 1L << cls;
    return new Pinned(allocator.allocate(cap), cap);
  }

  /** One buffer per piece of a transfer of {@code bytes}, in order; on failure those acquired are released. */
  List<Pinned> acquirePieces(long bytes) {
    List<Pinned> out = new ArrayList<>();
    try {
      for (Piece p : pieces(bytes)) {
        out.add(acquire(p.bytes()));
      }
    } catch (RuntimeException e) {
      out.forEach(this::release);
      throw e;
    }
    return out;
  }

  void release(Pinned p) {
    if (cachedBytes + p.capacity() <= CACHE_LIMIT_BYTES) {
      cache.computeIfAbsent(Long.numberOfTrailingZeros(p.capacity()), k -> new ArrayDeque<>()).push(p);
      cachedBytes += p.capacity();
    } else {
      allocator.free(p.pointer());
    }
  }

  /** Frees every cached buffer (at close). */
  void freeAll() {
    for (ArrayDeque<Pinned> q : cache.values()) {
      for (Pinned p : q) {
        allocator.free(p.pointer());
      }
    }
    cache.clear();
    cachedBytes = 0;
  }

  /** Bytes held idle for reuse. */
  long cachedBytes() {
    return cachedBytes;
  }

  /**
   * The size class of a buffer for {@code bytes}: log2 of the power of two that holds it, at least
   * {@link #MIN_CLASS_LOG2}.
   *
   * @throws IllegalArgumentException over {@link #MAX_PIECE_BYTES}: stage such a transfer in {@link #pieces}
   */
  static int classOf(long bytes) {
    if (bytes > MAX_PIECE_BYTES) {
      throw new IllegalArgumentException("a pinned buffer holds at most " + MAX_PIECE_BYTES + " bytes (one ByteBuffer),"
          + " got " + bytes + "; stage the transfer in pieces");
    }
    int log2 = 64 - Long.numberOfLeadingZeros(Math.max(1, bytes) - 1);
    return Math.max(MIN_CLASS_LOG2, log2);
  }

  /** Copies the floats of {@code src} that piece {@code p} covers into {@code dst} (the piece's buffer). */
  static void fill(float[] src, Piece p, ByteBuffer dst) {
    dst.order(ByteOrder.nativeOrder()).asFloatBuffer().put(src, Math.toIntExact(p.offset() / 4), Math.toIntExact(p.bytes() / 4));
  }

  /** Copies piece {@code p}'s floats from {@code src} (its buffer) into their place in {@code out}. */
  static void drain(ByteBuffer src, Piece p, float[] out) {
    src.order(ByteOrder.nativeOrder()).asFloatBuffer().get(out, Math.toIntExact(p.offset() / 4), Math.toIntExact(p.bytes() / 4));
  }
}
