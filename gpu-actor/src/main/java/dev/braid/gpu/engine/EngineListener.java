package dev.braid.gpu.engine;

import dev.braid.device.DeviceInfo;

/**
 * What a {@link GpuEngine} tells an observer (the node's Prometheus metrics) as it works: batches
 * started and finished, launches issued, device faults, and the snapshot the owner asked for.
 *
 * <p>Called on the engine's owner thread, in the middle of its work: an implementation must
 * return at once, never block, and not call back into the engine. The hot-path calls
 * ({@link #batchStarted}, {@link #batchFinished}, {@link #launchIssued}) pass primitives and
 * names the engine already holds, so an observer that only adds to counters allocates nothing.
 * {@link #NONE}, the default, does nothing.
 */
public interface EngineListener {
  /** Observes nothing. */
  EngineListener NONE = new EngineListener() {};

  /**
   * A batch of {@code model} started.
   *
   * @param version the model version it runs
   * @param requests the requests in it
   * @param rows its batch size (the requests' rows together)
   * @param queuedNanos the time its requests waited between arrival and this start, summed
   */
  default void batchStarted(String model, long version, int requests, int rows, long queuedNanos) {}

  /**
   * A batch of {@code model} answered its requests with outputs.
   *
   * @param computeNanos from the batch's start to its outputs, once per request (Triton's
   *     compute_infer duration counts each request of a batch)
   */
  default void batchFinished(String model, long version, int requests, long computeNanos) {}

  /**
   * A launch went to the device.
   *
   * @param ops the kernels in it: 1, or more for a super-kernel
   * @param hostNanos how long the host's launch path (building the launch and the device call)
   *     took
   */
  default void launchIssued(int ops, long hostNanos) {}

  /**
   * The first kernel of a batch went to the device: each of its requests is executing from now on
   * (once per request; a request dropped before this point, cancelled or late, never gets one).
   *
   * @param requestId the client's id of the request ({@link InferRequest#requestId()}), "" for none
   */
  default void requestLaunched(String model, String requestId) {}

  /**
   * The engine took in its client's cancel of a request it was given ({@link GpuEngine#cancel}),
   * before it acts on it. Told on the same thread, in order, as {@link #requestLaunched}. A request
   * still {@code queued} then never gets a {@code requestLaunched}; one whose batch has
   * {@code started} (its rows stacked with the others' and on the device) runs with them unless
   * none of them still waits ({@link Cancels}).
   *
   * @param requestId the client's id of the request ({@link InferRequest#requestId()}), "" for none
   * @param stage where the request was: queued, started, launched or answered
   */
  default void cancelReceived(String model, String requestId, String stage) {}

  /** The device failed a launch, a transfer or a batch's start. */
  default void deviceFault() {}

  /**
   * The counters as the owner just read them ({@code GetReport}); gauges (policy, memory, queue,
   * health) come from here.
   *
   * @param predictedQueueNanos the device time the work held still needs, by the cost model
   * @param restarts how often the owner was restarted (its engine's counters start again at each)
   */
  default void stats(EngineStats stats, DeviceInfo device, long predictedQueueNanos, int restarts) {}
}
