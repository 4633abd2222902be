package dev.braid.device.cpu;

import dev.braid.device.DeviceStream;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * A serial queue of CPU work: each submitted item starts when the previous one has finished,
 * successfully or not, and runs on the device's pool. The priority is recorded only: the CPU
 * serves all streams fairly.
 *
 * <p>One drain task at a time runs the queued items back to back on one pool thread, and ends when
 * the queue is empty; the next submission starts a new one. A model's launches, queued together,
 * thus cost a queue operation each instead of a pool submission and a thread hand-off each (about
 * 6-9 us per launch measured on two busy cores, against an ONNX Runtime BERT of ~2 ms in all).
 * Lifecycle of the drain: idle -> draining (a task is scheduled or running, or an inline item is
 * running) -> idle.
 *
 * <p>Tiny items ({@link #submit(Supplier, boolean)} with {@code inline}) submitted while the stream
 * is idle run at once on the submitting thread, which then drains whatever was queued behind them
 * meanwhile onto the pool: for work of a few microseconds the pool's hand-off (a wake-up there,
 * and one back for whoever waits on the result) cost more than the work.
 */
final class CpuStream implements DeviceStream {
  private final CpuDevice owner;
  private final int priority;
  private final Executor executor;
  /** Items not yet started, in order; guarded by this. */
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  /** Whether a drain task is scheduled or running; guarded by this. */
  private boolean draining;

  CpuStream(CpuDevice owner, int priority, Executor executor) {
    this.owner = owner;
    this.priority = priority;
    this.executor = executor;
  }

  @Override
  public int priority() {
    return priority;
  }

  CpuDevice owner() {
    return owner;
  }

  /** Runs {@code work} after everything submitted before it, on the pool. */
  <T> CompletableFuture<T> submit(Supplier<T> work) {
    return submit(work, false);
  }

  /**
   * Runs {@code work} after everything submitted before it: on the calling thread, before this
   * returns, when {@code inline} and nothing submitted earlier is unfinished; else on the pool.
   */
  <T> CompletableFuture<T> submit(Supplier<T> work, boolean inline) {
    CompletableFuture<T> result = new CompletableFuture<>();
    Runnable item = () -> {
      try {
        result.complete(work.get());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    };
    boolean start;
    synchronized (this) {
      if (inline && !draining) {
        draining = true; // items submitted meanwhile queue behind this one
        start = false;
      } else {
        queue.add(item);
        start = !draining;
        draining = true;
        inline = false;
      }
    }
    if (inline) {
      item.run();
      synchronized (this) {
        if (queue.isEmpty()) {
          draining = false;
          return result;
        }
      }
      try {
        executor.execute(this::drain);
      } catch (RuntimeException e) { // the pool was shut down: what queued behind runs here
        drain();
      }
      return result;
    }
    if (start) {
      try {
        executor.execute(this::drain);
      } catch (RuntimeException e) { // the pool was shut down: fail what is queued
        synchronized (this) {
          draining = false;
          queue.clear();
        }
        result.completeExceptionally(e);
      }
    }
    return result;
  }

  private void drain() {
    while (true) {
      Runnable next;
      synchronized (this) {
        next = queue.poll();
        if (next == null) {
          draining = false;
          return;
        }
      }
      next.run();
    }
  }

  @Override
  public String toString() {
    return "CpuStream[priority=" + priority + "]";
  }
}
