package dev.braid.coordinator.frontend.internal;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The front door's errors: a gRPC status with a message naming what was wrong. gRPC's status is
 * the vocabulary of the Open Inference Protocol whichever transport serves it (grpc-java's own
 * server, or Pekko gRPC's, which carries the same {@link Status}).
 */
public final class Statuses {
  private Statuses() {}

  public static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException invalidArgument(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException resourceExhausted(String message) {
    return Status.RESOURCE_EXHAUSTED.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException deadlineExceeded(String message) {
    return Status.DEADLINE_EXCEEDED.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException unavailable(String message) {
    return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException failedPrecondition(String message) {
    return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
  }

  /**
   * The status a failure stands for: itself when it already is one, else INTERNAL with its
   * message (a bug of the front door, not of the request; the server keeps serving).
   */
  public static StatusRuntimeException of(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof java.util.concurrent.CompletionException
        || cause instanceof java.util.concurrent.ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof StatusRuntimeException s) {
      return s;
    }
    if (cause instanceof io.grpc.StatusException s) {
      return s.getStatus().asRuntimeException(s.getTrailers());
    }
    return Status.INTERNAL.withDescription("internal error: " + cause).withCause(cause).asRuntimeException();
  }

  /** Runs {@code body}, turning a thrown failure into a failed stage with its gRPC status. */
  public static <T> CompletionStage<T> attempt(Supplier<CompletionStage<T>> body) {
    CompletionStage<T> stage;
    try {
      stage = body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Statuses.of(e));
    }
    return stage.handle((value, failure) -> {
      if (failure != null) {
        throw Statuses.of(failure);
      }
      return value;
    });
  }
}
