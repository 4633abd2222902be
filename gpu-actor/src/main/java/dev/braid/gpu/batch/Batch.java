package dev.braid.gpu.batch;

import java.util.List;

/**
 * Requests of one model released together: they become one job of the scheduler.
 *
 * @param requests in the order they were taken: priority level, then arrival
 * @param formedNanos when the batcher released it
 * @param priority 0 is the most urgent: the most urgent member's Triton level minus one (0 when the
 *     model has no priority levels), as the scheduler's jobs count priority
 */
public record Batch(String model, List<Request> requests, long formedNanos, int priority) {
  public Batch {
    requests = List.copyOf(requests);
    if (requests.isEmpty()) {
      throw new IllegalArgumentException("a batch of model '" + model + "' needs at least one request");
    }
  }

  /** Rows in the batch: the sum of its requests' batch sizes. */
  public int batchSize() {
    int n = 0;
    for (Request r : requests) {
      n += r.batchSize();
    }
    return n;
  }

  /** The tightest member deadline. */
  public long deadlineNanos() {
    long d = Long.MAX_VALUE;
    for (Request r : requests) {
      d = Math.min(d, r.deadlineNanos());
    }
    return d;
  }
}
