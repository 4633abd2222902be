package dev.braid.gpu.engine;

import dev.braid.device.DeviceException;
import dev.braid.protocol.cluster.FailureReason;
import java.util.concurrent.CompletionException;

/** How the engine turns a device's or a model's exception into an answer and a message. */
final class Failures {
  private Failures() {}

  /** The error a request is answered with when starting or finishing its batch threw {@code t}. */
  static FailureReason reasonOf(Throwable t) {
    return t instanceof IllegalArgumentException ? FailureReason.INVALID_INPUT : ofDevice(t);
  }

  /**
   * The one place a device's error becomes a request's: a full device ({@link
   * DeviceException.Reason#OUT_OF_MEMORY}) is OUT_OF_MEMORY, which another GPU could serve; data a
   * kernel cannot take ({@link DeviceException.Reason#INVALID_DATA}, an index out of range) is
   * INVALID_INPUT, the client's to fix; any other device error (invalid launch arguments, a closed
   * device, a failed kernel), or an exception the device did not classify, is DEVICE_FAILED.
   */
  static FailureReason ofDevice(Throwable t) {
    if (t instanceof DeviceException de) {
      switch (de.reason()) {
        case OUT_OF_MEMORY:
          return FailureReason.OUT_OF_MEMORY;
        case INVALID_DATA:
          return FailureReason.INVALID_INPUT;
        default:
          break;
      }
    }
    return FailureReason.DEVICE_FAILED;
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
