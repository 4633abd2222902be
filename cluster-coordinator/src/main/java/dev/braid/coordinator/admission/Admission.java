package dev.braid.coordinator.admission;

import dev.braid.time.NanoClock;
import dev.braid.coordinator.admission.Decision.Admitted;
import dev.braid.coordinator.admission.Decision.Refused;
import dev.braid.protocol.cluster.FailureReason;
import dev.braid.coordinator.routing.ReplicaEstimate;
import dev.braid.coordinator.routing.Route;
import dev.braid.coordinator.routing.Router;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Admits a request only if it can make its deadline and its tenant is within quota, and routes
 * it; otherwise refuses at once. A request is never queued to miss its deadline silently. Not
 * thread-safe: the frontend's actor owns it, with its {@link Router}.
 *
 * <p>Checks, in order, the first failing one deciding: the model is in the routing table
 * (NOT_FOUND; UNAVAILABLE before any table arrived or when it has no replica); the tenant's token
 * bucket has a token (RESOURCE_EXHAUSTED); some replica's predicted queue is within {@code
 * maxQueueDelay} (RESOURCE_EXHAUSTED, overloaded); the best predicted finish among those replicas,
 * {@code now + queue + request's device time}, is at or before the deadline (DEADLINE_EXCEEDED).
 * Only an admitted request takes a token.
 */
public final class Admission {
  private final AdmissionSettings settings;
  private final NanoClock clock;
  private final Map<String, TokenBucket> buckets = new HashMap<>();

  public Admission(AdmissionSettings settings, NanoClock clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Decides on {@code request} and, when admitted, routes it through {@code router}. */
  public Decision admit(InferenceRequest request, Router router) {
    long now = clock.nanoTime();
    String model = request.model();
    if (router.table().isEmpty()) {
      return new Refused(FailureReason.NO_REPLICA,
          "model '" + model + "' is unavailable: this frontend has not received a routing table yet");
    }
    if (router.table().route(model).isEmpty()) {
      return new Refused(FailureReason.UNKNOWN_MODEL, "model '" + model + "' is not loaded in this cluster");
    }
    List<ReplicaEstimate> replicas = router.estimates(model, Set.of());
    if (replicas.isEmpty()) {
      return new Refused(FailureReason.NO_REPLICA, "model '" + model + "' is loaded but has no serving replica");
    }
    Optional<TokenBucket> bucket = settings.quotaOf(request.tenant())
        .map(q -> buckets.computeIfAbsent(request.tenant(), t -> new TokenBucket(q, now)));
    if (bucket.isPresent() && !bucket.get().hasToken(now)) {
      return new Refused(FailureReason.OVER_QUOTA, "tenant '" + request.tenant() + "' is over its quota for model '" + model
          + "'; next request allowed in " + millis(bucket.get().nanosUntilToken(now)));
    }
    long maxQueueNanos = settings.maxQueueDelay().toNanos();
    // The best replica whose queue is within bounds: the first such, since estimates come best first.
    ReplicaEstimate best = null;
    for (ReplicaEstimate r : replicas) {
      if (r.queueNanos() <= maxQueueNanos) {
        best = r;
        break;
      }
    }
    if (best == null) {
      return new Refused(FailureReason.OVERLOADED, "model '" + model + "' is overloaded: every replica has more than "
          + millis(maxQueueNanos) + " queued (shortest " + millis(replicas.stream()
              .mapToLong(ReplicaEstimate::queueNanos).min().orElseThrow()) + ")");
    }
    if (best.predictedFinishNanos() > request.deadlineNanos()) {
      return new Refused(FailureReason.DEADLINE_UNREACHABLE, "model '" + model + "' cannot meet the deadline: best predicted finish in "
          + millis(best.predictedFinishNanos() - now) + " (" + best.gpu() + "), deadline in "
          + millis(request.deadlineNanos() - now));
    }
    bucket.ifPresent(TokenBucket::take);
    return new Admitted(router.routeTo(model, best));
  }

  /**
   * The one retry of an admitted request whose replica failed: to the best other replica if it can
   * still make the deadline, else UNAVAILABLE. Takes no token (the request was already charged) and
   * ignores the queue bound (it was admitted once).
   */
  public Decision retry(InferenceRequest request, Route failed, Router router) {
    long now = clock.nanoTime();
    router.completed(failed.ticket());
    List<ReplicaEstimate> others = router.estimates(request.model(), Set.of(failed.gpu()));
    if (others.isEmpty()) {
      return new Refused(FailureReason.RETRY_IMPOSSIBLE, "model '" + request.model() + "': replica " + failed.gpu()
          + " failed and no other replica serves it");
    }
    ReplicaEstimate best = others.get(0);
    if (best.predictedFinishNanos() > request.deadlineNanos()) {
      return new Refused(FailureReason.RETRY_IMPOSSIBLE, "model '" + request.model() + "': replica " + failed.gpu()
          + " failed; best predicted finish elsewhere in " + millis(best.predictedFinishNanos() - now) + " ("
          + best.gpu() + "), deadline in " + millis(request.deadlineNanos() - now));
    }
    return new Admitted(router.routeTo(request.model(), best));
  }

  private static String millis(long nanos) {
    return String.format("%.3f ms", nanos / 1e6);
  }
}
