package dev.braid.coordinator.admission;

import dev.braid.coordinator.routing.Route;
import dev.braid.protocol.cluster.FailureReason;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/** The outcome of {@link Admission#admit}: sent to a replica, or refused at once. */
public sealed interface Decision {
  /** Admitted and routed; complete {@code route.ticket()} with the router when it ends. */
  record Admitted(Route route) implements Decision {
    public Admitted {
      Objects.requireNonNull(route, "route");
    }
  }

  /**
   * The reasons admission refuses with: {@code UNKNOWN_MODEL} (the frontend has a routing table and
   * the model is not in it), {@code NO_REPLICA} (no table yet, or no serving replica), {@code
   * OVER_QUOTA} (the tenant's token bucket is empty), {@code OVERLOADED} (every replica's predicted
   * queue is past {@link AdmissionSettings#maxQueueDelay}), {@code DEADLINE_UNREACHABLE} (no
   * replica's predicted finish meets the deadline) and {@code RETRY_IMPOSSIBLE} (a retry after a
   * replica failed cannot make the deadline elsewhere, or has nowhere to go). The metrics count
   * refusals by these.
   */
  Set<FailureReason> REFUSALS = Collections.unmodifiableSet(EnumSet.of(FailureReason.UNKNOWN_MODEL,
      FailureReason.NO_REPLICA, FailureReason.OVER_QUOTA, FailureReason.OVERLOADED,
      FailureReason.DEADLINE_UNREACHABLE, FailureReason.RETRY_IMPOSSIBLE));

  /**
   * Refused, never queued; the front door answers {@code reason}'s gRPC status.
   *
   * @param reason why: one of {@link #REFUSALS}
   * @param message for the client, naming the model and the figures that decided
   */
  record Refused(FailureReason reason, String message) implements Decision {
    public Refused {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
      if (!REFUSALS.contains(reason)) {
        throw new IllegalArgumentException("reason must be one of admission's " + REFUSALS + ", got " + reason);
      }
    }
  }
}
