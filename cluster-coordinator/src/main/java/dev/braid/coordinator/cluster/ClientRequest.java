package dev.braid.coordinator.cluster;

import dev.braid.coordinator.admission.InferenceRequest;
import dev.braid.coordinator.routing.Route;
import dev.braid.model.Tensor;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One request a frontend's {@link ClusterClient} admitted and has not answered: what it sends, the
 * caller's future, and the attempt in flight.
 *
 * <p>Lifecycle: admitted -> sent as attempt {@code #1} -> answered, or sent again once as attempt
 * {@code #2} (another replica) -> answered; the future completes exactly once.
 */
final class ClientRequest {
  final String requestId;
  final String model;
  final String version;
  final Map<String, Tensor> inputs;
  final long deadlineNanos;
  final int priority;
  final String tenant;
  /** The client's own id (the Open Inference Protocol's {@code id}), "" for none: told to the GPU. */
  final String clientRequestId;
  /** The bytes of its input tensors, which a message to a remote GPU must carry. */
  final long payloadBytes;
  final CompletableFuture<Map<String, Tensor>> result = new CompletableFuture<>();
  volatile Route route;
  /**
   * The id of the attempt in flight: {@code requestId#1}, then {@code #2} for the retry, so that a
   * late answer of the first attempt is not taken for the retry's.
   */
  volatile String attemptId;
  volatile String nodeAddress;
  volatile boolean retried;

  ClientRequest(String requestId, String model, String version, Map<String, Tensor> inputs, long deadlineNanos,
      int priority, String tenant, String clientRequestId) {
    this.requestId = requestId;
    this.clientRequestId = clientRequestId;
    this.model = model;
    this.version = version;
    this.inputs = inputs;
    this.deadlineNanos = deadlineNanos;
    this.priority = priority;
    this.tenant = tenant;
    long bytes = 0;
    for (Tensor t : inputs.values()) {
      bytes += (long) t.size() * t.dtype().sizeBytes();
    }
    this.payloadBytes = bytes;
  }

  InferenceRequest admissionRequest() {
    return new InferenceRequest(model, tenant, deadlineNanos);
  }

  /**
   * One sending of a request, waiting for its answer until its budget plus the reply grace. It
   * stops waiting once the request is answered or sent again (a retry routes anew).
   */
  record Attempt(ClientRequest request, Route route) {}
}
