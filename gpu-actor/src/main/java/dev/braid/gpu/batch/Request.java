package dev.braid.gpu.batch;

/**
 * One inference request waiting in a {@link DynamicBatcher}.
 *
 * @param id unique among the requests of one batcher's owner
 * @param arrivalNanos when it arrived (NanoClock time); its queueing delay counts from here
 * @param deadlineNanos absolute time after which an answer is useless; {@link Long#MAX_VALUE} for
 *     none
 * @param priorityLevel Triton's level: 1 is the highest, 0 asks for the model's default level
 * @param batchSize rows it contributes to a batch (1 for a single sample, n for a client batch)
 */
public record Request(long id, long arrivalNanos, long deadlineNanos, int priorityLevel, int batchSize) {
  public Request {
    if (priorityLevel < 0) {
      throw new IllegalArgumentException("request " + id + ": priorityLevel must be >= 0, got " + priorityLevel);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("request " + id + ": batchSize must be >= 1, got " + batchSize);
    }
  }

  /** A single-sample request at the default priority. */
  public static Request of(long id, long arrivalNanos, long deadlineNanos) {
    return new Request(id, arrivalNanos, deadlineNanos, 0, 1);
  }
}
