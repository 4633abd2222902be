package dev.braid.gpu;

import dev.braid.time.DeadlineQueue;
import dev.braid.gpu.engine.InferRequest;
import dev.braid.gpu.engine.InferResult;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The one table of a {@link GpuActor}'s requests in flight: every {@link InferenceWire.Infer} the
 * engine holds, by a sequence number, with who waits for it, its deadline and when the actor stops
 * waiting for the engine's answer (its budget plus {@link GpuSettings#endpointReplyGrace()}, a net
 * for a device that never completes). It also counts the answers for the GPU's report. Confined to
 * the actor's thread; it survives the actor's restarts (held by {@link Remembered}).
 *
 * <p>Invariant: each request is answered exactly once, with its request id: by the engine's result
 * ({@link #answer}), when its wait is over ({@link #pollDue}), or when the actor gives it up ({@link
 * #failAll}); whatever comes later for it is dropped.
 */
final class InFlight {
  /**
   * Longest budget taken as given: Pekko's scheduler refuses delays beyond about 248 days, and a
   * request allowed a day has no deadline in practice. Longer budgets count as this.
   */
  static final Duration MAX_BUDGET = Duration.ofDays(1);

  /** A request the engine holds. */
  record Request(String requestId, InferenceWire.Infer infer, long deadlineNanos) {}

  private final Map<Long, Request> requests = new HashMap<>();
  /** What the engine was handed for each request held, by its request id: what a cancel withdraws. */
  private final Map<String, InferRequest> submitted = new HashMap<>();
  private final DeadlineQueue<Long> waits = new DeadlineQueue<>(requests::containsKey);
  private final ServingCounters counters;
  private long nextSeq;

  InFlight(long startNanos) {
    this.counters = new ServingCounters(startNanos);
  }

  /** {@code budget} capped at {@link #MAX_BUDGET}. */
  static Duration capped(Duration budget) {
    return budget.compareTo(MAX_BUDGET) > 0 ? MAX_BUDGET : budget;
  }

  /**
   * Holds {@code infer}, whose deadline is {@code deadlineNanos}, until {@code waitUntilNanos} at the
   * latest; returns its sequence number.
   */
  long add(InferenceWire.Infer infer, long deadlineNanos, long waitUntilNanos) {
    long seq = nextSeq++;
    requests.put(seq, new Request(infer.requestId(), infer, deadlineNanos));
    waits.add(seq, waitUntilNanos, requests.size());
    return seq;
  }

  /** Remembers that {@code request} is what the engine holds for {@code requestId}, until it is answered. */
  void submitted(String requestId, InferRequest request) {
    submitted.put(requestId, request);
  }

  /** What the engine holds for {@code requestId}; null when it is not held (answered, or never here). */
  InferRequest submission(String requestId) {
    return submitted.get(requestId);
  }

  /** Answers request {@code seq} with the engine's {@code result} at {@code nowNanos}; nothing if it was answered. */
  void answer(long seq, InferResult result, long nowNanos) {
    Request r = requests.remove(seq);
    if (r == null) {
      return; // answered already: its wait was over, or it was given up
    }
    submitted.remove(r.requestId());
    if (result instanceof InferResult.Completed c) {
      counters.onCompleted(nowNanos <= r.deadlineNanos());
      r.infer().replyTo().tell(new InferenceWire.Completed(r.requestId(), c.outputs()));
    } else {
      InferResult.Failed f = (InferResult.Failed) result;
      refuse(r.infer(), f.reason(), f.message());
    }
  }

  /** Answers {@code infer}, never held or no longer, with a failure (counted). */
  void refuse(InferenceWire.Infer infer, FailureReason reason, String message) {
    counters.onFailed();
    infer.replyTo().tell(new InferenceWire.Failed(infer.requestId(), reason, message));
  }

  /** Hands {@code due} every request whose wait is over at {@code nowNanos}, and forgets it. */
  void pollDue(long nowNanos, Consumer<Request> due) {
    waits.pollDue(nowNanos, seq -> {
      Request r = requests.remove(seq);
      submitted.remove(r.requestId());
      due.accept(r);
    });
  }

  /**
   * Fails TOO_LATE every request whose wait (its budget and {@code grace}) is over at {@code
   * nowNanos}, with one WARN line each on {@code log}: GPU {@code gpu} never answered it.
   */
  void expireDue(long nowNanos, String gpu, Duration grace, Logger log) {
    pollDue(nowNanos, r -> {
      String why = "no answer from the GPU within the budget and " + grace + " of grace";
      log.warn("gpu {}: request {}: {}", gpu, r.requestId(), why);
      refuse(r.infer(), FailureReason.TOO_LATE, "gpu " + gpu + ": " + why);
    });
  }

  /** When the earliest wait is over; {@link Long#MAX_VALUE} when none is held. */
  long nextDueNanos() {
    return waits.nextDueNanos();
  }

  /** Answers every request held with {@code reason} and {@code message}; returns how many. */
  int failAll(FailureReason reason, String message) {
    List<Request> held = List.copyOf(requests.values());
    requests.clear();
    submitted.clear();
    held.forEach(r -> refuse(r.infer(), reason, message));
    return held.size();
  }

  int size() {
    return requests.size();
  }

  ServingCounters counters() {
    return counters;
  }
}
