package dev.braid.gpu.engine;

import java.util.ArrayDeque;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;

/**
 * The engine's one way in: every public call and every device outcome runs as an action through
 * {@link #enter}, on the owner's thread.
 *
 * <p>Invariant: at most one action runs at a time. An action entered while another runs (a reply
 * or load callback that calls back into the engine) is queued and runs, in arrival order, once the
 * outermost action returns, so callbacks may submit without re-entering half-updated state.
 * Device outcomes come back through the owner's {@link Mailbox} and are entered like any call.
 */
final class EngineLoop {
  private final Mailbox mailbox;
  private final ArrayDeque<Runnable> deferred = new ArrayDeque<>();
  private boolean inside;

  EngineLoop(Mailbox mailbox) {
    this.mailbox = mailbox;
  }

  /** Runs {@code action} now, or after the current engine call when called from inside one. */
  void enter(Runnable action) {
    if (inside) {
      deferred.add(action);
      return;
    }
    inside = true;
    try {
      action.run();
      for (Runnable next = deferred.poll(); next != null; next = deferred.poll()) {
        next.run();
      }
    } finally {
      inside = false;
    }
  }

  /** Enters {@code action} with {@code stage}'s outcome once the mailbox brings it back. */
  <T> void deliver(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> action) {
    mailbox.deliver(stage, (value, error) -> enter(() -> action.accept(value, error)));
  }
}
