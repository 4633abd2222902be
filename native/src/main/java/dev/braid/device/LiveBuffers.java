package dev.braid.device;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The buffers a device has allocated and not yet freed, and their bytes: the bookkeeping behind
 * {@link Device#allocatedBytes()} and the "already freed" refusal, shared by the devices so that
 * each keeps only what differs (where the bytes come from). Thread-safe: callers on any thread may
 * allocate and free.
 *
 * <p>Lifecycle of a buffer: {@link #reserve} its bytes -> {@link #add} it -> {@link #remove} it
 * (once; a second time is refused CLOSED). Invariant: {@link #allocatedBytes()} is the sum of the
 * sizes of the buffers added and not removed, plus bytes reserved for a buffer still being made.
 */
public final class LiveBuffers<B extends DeviceBuffer> {
  private final Set<B> live = ConcurrentHashMap.newKeySet();
  private final AtomicLong allocatedBytes = new AtomicLong();

  /**
   * Counts {@code bytes} against {@code capacityBytes}, or throws OUT_OF_MEMORY naming the
   * request and what is in use, counting nothing. Atomic: two callers never both pass a check
   * that only one of them fits.
   */
  public void reserve(long bytes, long capacityBytes) {
    long after = allocatedBytes.addAndGet(bytes);
    if (after > capacityBytes) {
      allocatedBytes.addAndGet(-bytes);
      throw new DeviceException(DeviceException.Reason.OUT_OF_MEMORY,
          "cannot allocate " + bytes + " bytes: " + (after - bytes) + " of " + capacityBytes + " in use");
    }
  }

  /** Tracks {@code buffer}, whose bytes were {@link #reserve reserved}, as live. */
  public void add(B buffer) {
    live.add(buffer);
  }

  /** Stops tracking {@code buffer} and uncounts its bytes; throws CLOSED if it is not live (freed twice). */
  public void remove(B buffer) {
    if (!live.remove(buffer)) {
      throw new DeviceException(DeviceException.Reason.CLOSED, "buffer " + buffer + " was already freed");
    }
    allocatedBytes.addAndGet(-buffer.sizeBytes());
  }

  /** Whether {@code buffer} was added and not yet removed. */
  public boolean contains(B buffer) {
    return live.contains(buffer);
  }

  /** Bytes of the live buffers (and of reservations in progress). */
  public long allocatedBytes() {
    return allocatedBytes.get();
  }

  /** Forgets every buffer, at close, returning those that were live so the caller can release them. */
  public List<B> clear() {
    List<B> was = List.copyOf(live);
    live.clear();
    allocatedBytes.set(0);
    return was;
  }
}
