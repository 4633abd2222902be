package dev.braid.device.cuda;

import dev.braid.device.DeviceException;
import java.util.Map;
import java.util.TreeMap;

/**
 * First-fit allocator over one contiguous region of device memory {@code [base, base + capacity)}
 * that {@link CudaDevice} obtains with a single {@code cuMemAlloc}, so that no request calls the
 * CUDA allocator (which synchronises the device and costs tens of microseconds). Pure Java: it
 * only hands out addresses and never touches the GPU.
 *
 * <p>Blocks are {@value #ALIGNMENT}-byte aligned (the alignment {@code cuMemAlloc} guarantees,
 * enough for coalesced float4 loads and for the problem tables' 8-byte fields) and sized in whole
 * multiples of it. A free splits the remainder of a larger free block off; a free merges the block
 * with free neighbours on both sides, so the free list never holds two adjacent blocks.
 *
 * <p>Invariants: free and allocated blocks tile the region without overlap;
 * {@code usedBytes() + freeBytes() == capacityBytes()}; no two free blocks are adjacent.
 * Thread-safe (every method is synchronized): allocation happens on callers' threads, frees also
 * on the context thread when a launch's scratch memory is released.
 */
public final class DeviceMemoryPool {
  /** Alignment and granularity of every block, bytes. */
  public static final long ALIGNMENT = 256;

  private final long base;
  private final long capacity;
  /** Free blocks: start address -> size. */
  private final TreeMap<Long, Long> free = new TreeMap<>();
  /** Allocated blocks: start address -> size (rounded). */
  private final TreeMap<Long, Long> used = new TreeMap<>();
  private long usedBytes;

  /**
   * @param base the region's first address; a multiple of {@value #ALIGNMENT}
   * @param capacityBytes the region's size; rounded down to a multiple of {@value #ALIGNMENT}
   */
  public DeviceMemoryPool(long base, long capacityBytes) {
    if (base < 0 || base % ALIGNMENT != 0) {
      throw new IllegalArgumentException("pool base must be a non-negative multiple of " + ALIGNMENT + ", got " + base);
    }
    long cap = capacityBytes / ALIGNMENT * ALIGNMENT;
    if (cap <= 0) {
      throw new IllegalArgumentException("pool capacity must be at least " + ALIGNMENT + " bytes, got " + capacityBytes);
    }
    this.base = base;
    this.capacity = cap;
    free.put(base, cap);
  }

  /**
   * The address of a new block of at least {@code bytes}; throws {@link DeviceException}
   * OUT_OF_MEMORY naming the requested, free and largest free bytes when no free block fits.
   */
  public synchronized long allocate(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("allocation must be > 0 bytes, got " + bytes);
    }
    long size = roundUp(bytes);
    for (Map.Entry<Long, Long> e : free.entrySet()) {
      if (e.getValue() >= size) {
        long at = e.getKey();
        long rest = e.getValue() - size;
        free.remove(at);
        if (rest > 0) {
          free.put(at + size, rest);
        }
        used.put(at, size);
        usedBytes += size;
        return at;
      }
    }
    throw new DeviceException(DeviceException.Reason.OUT_OF_MEMORY,
        "cannot allocate " + bytes + " bytes (" + size + " aligned) from the CUDA memory pool: "
            + freeBytes() + " of " + capacity + " bytes free, largest free block " + largestFreeBlock() + " bytes");
  }

  /** Returns the block at {@code address}; refuses an address that is not a live block (double free). */
  public synchronized void free(long address) {
    Long size = used.remove(address);
    if (size == null) {
      throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT,
          "address 0x" + Long.toHexString(address) + " is not an allocated block of this pool (freed twice or foreign)");
    }
    usedBytes -= size;
    long start = address;
    long len = size;
    Map.Entry<Long, Long> below = free.floorEntry(address);
    if (below != null && below.getKey() + below.getValue() == address) {
      start = below.getKey();
      len += below.getValue();
      free.remove(below.getKey());
    }
    Long aboveSize = free.get(address + size);
    if (aboveSize != null) {
      free.remove(address + size);
      len += aboveSize;
    }
    free.put(start, len);
  }

  /** Whether {@code address} starts a live block. */
  public synchronized boolean isAllocated(long address) {
    return used.containsKey(address);
  }

  public long base() {
    return base;
  }

  public long capacityBytes() {
    return capacity;
  }

  /** Bytes in live blocks, counting alignment padding. */
  public synchronized long usedBytes() {
    return usedBytes;
  }

  public synchronized long freeBytes() {
    return capacity - usedBytes;
  }

  public synchronized long largestFreeBlock() {
    long m = 0;
    for (long s : free.values()) {
      m = Math.max(m, s);
    }
    return m;
  }

  /** Number of free blocks (fragmentation; 1 when nothing is allocated). */
  public synchronized int freeBlockCount() {
    return free.size();
  }

  static long roundUp(long bytes) {
    return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }
}
