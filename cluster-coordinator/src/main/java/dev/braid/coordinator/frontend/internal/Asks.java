package dev.braid.coordinator.frontend.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.function.Function;

/**
 * Pekko's {@link AskPattern#ask}, answered as a plain {@link CompletableFuture} whose dependent
 * stages run on the thread that completes it (the replying actor's), like any other stage.
 *
 * <p>Why: Pekko answers an ask with Scala's {@code FutureConverters} wrapper, which turns every
 * non-async continuation ({@code handle}, {@code thenApply}, {@code whenComplete}...) into its
 * {@code *Async} form on the JDK's default executor. On a machine of 2 cores that executor is not
 * the common pool (its parallelism is 1) but a new thread per task: every inference answered
 * started and ended a thread (about 85,000 in 45 s of {@code bench frontdoor}, most of the front
 * door's CPU per call).
 */
public final class Asks {
  private Asks() {}

  /** Asks {@code target}; fails with a {@code TimeoutException} after {@code timeout}. */
  public static <Req, Res> CompletableFuture<Res> ask(RecipientRef<Req> target,
      Function<ActorRef<Res>, Req> message, Duration timeout, Scheduler scheduler) {
    return onCompletingThread(AskPattern.ask(target, message, timeout, scheduler));
  }

  /** A plain future completed, on {@code stage}'s completing thread, as {@code stage} completes. */
  static <T> CompletableFuture<T> onCompletingThread(CompletionStage<T> stage) {
    CompletableFuture<T> out = new CompletableFuture<>();
    // The explicit executor keeps the wrapper from choosing the default one.
    stage.whenCompleteAsync((value, failure) -> {
      if (failure != null) {
        out.completeExceptionally(failure);
      } else {
        out.complete(value);
      }
    }, Runnable::run);
    return out;
  }
}
