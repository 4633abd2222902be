package dev.braid.gpu.engine;

import dev.braid.gpu.batch.DynamicBatcher;
import dev.braid.gpu.batch.Rejected;
import dev.braid.gpu.batch.Request;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.FailureReason;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests a {@link GpuEngine} holds, and the one place they are answered.
 *
 * <p>Invariants: a request is held from {@link #register} until its answer; every answer goes
 * through {@link #answer}, which calls the reply at most once per request and drops the request;
 * answering an already answered (or unknown) request does nothing and counts nothing, so every
 * failure path may fail a request that another path answered first. {@code completed + failed <=
 * submitted}, with equality when nothing is held.
 */
final class Answers {
  /** Under the engine's name: these lines are the engine's to an operator. */
  private static final Logger LOG = LoggerFactory.getLogger(GpuEngine.class);

  private final Map<Long, Pending> requests = new LinkedHashMap<>();
  /** The same requests by what was submitted, for {@link #cancel}. */
  private final Map<InferRequest, Pending> bySubmission = new IdentityHashMap<>();
  private final Map<FailureReason, Long> failures = new EnumMap<>(FailureReason.class);
  private long nextRequestId = 1;
  private long submitted;
  private long completed;
  private long rejected;

  /** Holds a newly submitted request, arrived at {@code arrivalNanos}. */
  Pending register(InferRequest request, long arrivalNanos) {
    submitted++;
    Pending p = new Pending(nextRequestId++, request, 0, arrivalNanos);
    requests.put(p.id, p);
    bySubmission.put(request, p);
    return p;
  }

  /** What the engine holds for {@code request}, submitted earlier; null once answered. */
  Pending held(InferRequest request) {
    return bySubmission.get(request);
  }

  /** The request held under {@code id}; null once answered. */
  Pending get(long id) {
    return requests.get(id);
  }

  /** Requests held now. */
  int held() {
    return requests.size();
  }

  /** Answers each member with its outputs, in order, at {@code nowNanos}. */
  void complete(List<Pending> members, List<Map<String, Tensor>> outputs, long nowNanos) {
    for (int i = 0; i < members.size(); i++) {
      if (answer(members.get(i), new InferResult.Completed(outputs.get(i), nowNanos))) {
        completed++;
      }
    }
  }

  /** Fails every member not answered yet. */
  void failAll(List<Pending> members, FailureReason why, String message) {
    for (Pending p : members) {
      fail(p, why, message);
    }
  }

  /** Answers {@code p} with an error unless it was answered already; true when this answered it. */
  boolean fail(Pending p, FailureReason why, String message) {
    if (answer(p, new InferResult.Failed(why, message))) {
      failures.merge(why, 1L, Long::sum);
      return true;
    }
    return false;
  }

  /** Fails every request held, each message naming its model; returns how many. */
  int failEveryone(FailureReason why, String message) {
    int failed = 0;
    for (Pending p : List.copyOf(requests.values())) {
      failed += fail(p, why, "model '" + p.request.model() + "': " + message) ? 1 : 0;
    }
    return failed;
  }

  /**
   * Answers {@code request} {@link FailureReason#CANCELLED} with {@code why} unless it was answered
   * already; true when this answered it.
   */
  boolean cancel(InferRequest request, String why) {
    return fail(bySubmission.get(request), FailureReason.CANCELLED, why);
  }

  /**
   * Empties {@code batcher}: the requests whose deadline passed in it are failed as late ({@link
   * #failLate}), the others {@code why} with {@code message}; returns how many of the others this
   * answered.
   */
  int failQueued(DynamicBatcher batcher, FailureReason why, String message) {
    for (Rejected r : batcher.takeRejected()) {
      failLate(r);
    }
    int failed = 0;
    for (Request r : batcher.removeAll()) {
      failed += fail(requests.get(r.id()), why, message) ? 1 : 0;
    }
    return failed;
  }

  /** Fails a request whose deadline passed in its batcher, before a batch formed. */
  void failLate(Rejected r) {
    Pending p = requests.get(r.request().id());
    if (p != null && fail(p, FailureReason.TOO_LATE, "model '" + p.request.model() + "': deadline passed after queuing "
        + Failures.micros(r.rejectedNanos() - p.arrivalNanos) + " us, before a batch formed")) {
      rejected++;
    }
  }

  long submitted() {
    return submitted;
  }

  long completed() {
    return completed;
  }

  long rejected() {
    return rejected;
  }

  long failed() {
    return failures.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The failures by reason (live; the stats snapshot copies it). */
  Map<FailureReason, Long> failures() {
    return failures;
  }

  private boolean answer(Pending p, InferResult result) {
    if (p == null || p.answered) {
      return false;
    }
    p.answered = true;
    requests.remove(p.id);
    bySubmission.remove(p.request);
    try {
      p.request.reply().accept(result);
    } catch (RuntimeException e) {
      LOG.warn("the reply callback of a request of model '{}' threw", p.request.model(), e);
    }
    return true;
  }
}
