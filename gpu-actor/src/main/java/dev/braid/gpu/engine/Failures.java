package dev.braid.gpu.engine;

import dev.braid.device.DeviceException;
import java.util.concurrent.CompletionException;

/** How the engine turns a device's or a model's exception into an answer and a message. */
final class Failures {
  private Failures() {}

  /** The error a request is answered with when starting or finishing its batch threw {@code t}. */
  static InferError reasonOf(Throwable t) {
    if (t instanceof DeviceException de && de.reason() == DeviceException.Reason.OUT_OF_MEMORY) {
      return InferError.OUT_OF_MEMORY;
    }
    return t instanceof IllegalArgumentException ? InferError.INVALID_INPUT : InferError.DEVICE_FAILED;
  }

  /** The cause a {@link java.util.concurrent.CompletionStage} wrapped. */
  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The exception's message, or its class's name when it has none. */
  static String message(Throwable t) {
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  static long micros(long nanos) {
    return nanos / 1_000;
  }
}
