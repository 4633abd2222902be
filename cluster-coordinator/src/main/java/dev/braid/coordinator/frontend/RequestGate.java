package dev.braid.coordinator.frontend;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which requests a frontend still takes, and when those it took are answered, for its drain. A
 * request counts from the moment it passes the drain check, not only once it is in the cluster's
 * flight: between the two it may wait for its model's configuration or decode its inputs, and a
 * drain that looked only at the requests in flight finished under it.
 *
 * <p>Race-free without a lock: {@link #enter} counts the request before it reads whether the gate
 * is closed, {@link #close} closes before it reads the count, so either the request sees the gate
 * closed (and is refused) or the drain sees it counted (and waits for its {@link #exit}).
 */
final class RequestGate {
  private final AtomicInteger taken = new AtomicInteger();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private volatile boolean closed;

  /** A request arrives: whether it is taken (the gate is open); one taken must {@link #exit} once. */
  boolean enter() {
    taken.incrementAndGet();
    if (closed) {
      exit();
      return false;
    }
    return true;
  }

  /** A request taken is answered. */
  void exit() {
    if (taken.decrementAndGet() == 0 && closed) {
      drained.complete(null);
    }
  }

  /** Takes no more requests; completes once those taken are answered. */
  CompletionStage<Void> close() {
    closed = true;
    if (taken.get() == 0) {
      drained.complete(null);
    }
    return drained;
  }
}
