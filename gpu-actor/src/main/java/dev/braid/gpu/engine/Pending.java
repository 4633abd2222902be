package dev.braid.gpu.engine;

/**
 * One submitted request until it is answered. Invariant: {@code answered} goes from false to true
 * once, in {@link Answers}, and the request's reply is called at that moment and never again.
 */
final class Pending {
  final long id;
  final InferRequest request;
  final long arrivalNanos;
  /** Its rows in a batch (the inputs' leading dimension, or 1); set once its inputs are checked. */
  int rows;
  boolean answered;

  Pending(long id, InferRequest request, int rows, long arrivalNanos) {
    this.id = id;
    this.request = request;
    this.rows = rows;
    this.arrivalNanos = arrivalNanos;
  }
}
