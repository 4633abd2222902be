package dev.braid.device.cpu;

import dev.braid.device.DeviceStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * A serial queue of CPU work: each submitted item starts when the previous one has finished,
 * successfully or not, and runs on the device's pool. The priority is recorded only: the CPU
 * serves all streams fairly.
 */
final class CpuStream implements DeviceStream {
  private final CpuDevice owner;
  private final int priority;
  private final Executor executor;
  private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);

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

  /** Runs {@code work} after everything submitted before it. */
  synchronized <T> CompletableFuture<T> submit(Supplier<T> work) {
    CompletableFuture<T> next = tail.handle((v, e) -> null).thenApplyAsync(x -> work.get(), executor);
    tail = next;
    return next;
  }

  @Override
  public String toString() {
    return "CpuStream[priority=" + priority + "]";
  }
}
