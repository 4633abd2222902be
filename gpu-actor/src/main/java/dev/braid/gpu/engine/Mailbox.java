package dev.braid.gpu.engine;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * How the outcome of a device {@link CompletionStage} gets back to the thread that owns a {@link
 * GpuEngine}: the engine hands every stage it waits on to its mailbox and is called back, on its
 * owner's thread, with the value or the failure. The engine never blocks on a stage.
 *
 * <p>Three owners, three mailboxes: the GPU actor pipes each stage to itself as a message; a
 * virtual-time loop over a {@code SimulatedDevice} uses {@link #direct()}, since the simulator
 * completes stages on the loop's own thread; a real-time loop uses {@link #via} its single thread.
 */
public interface Mailbox {
  /** Arranges for {@code action} to run on the owner's thread once {@code stage} completes. */
  <T> void deliver(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> action);

  /**
   * Runs the action on whichever thread completes the stage. Correct only when that is the owner's
   * thread, as with a {@code SimulatedDevice} driven by the owner.
   */
  static Mailbox direct() {
    return new Mailbox() {
      @Override
      public <T> void deliver(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> action) {
        stage.whenComplete(action);
      }
    };
  }

  /** Runs the action on {@code owner}, which must be the single thread that owns the engine. */
  static Mailbox via(Executor owner) {
    return new Mailbox() {
      @Override
      public <T> void deliver(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> action) {
        stage.whenCompleteAsync(action, owner);
      }
    };
  }
}
