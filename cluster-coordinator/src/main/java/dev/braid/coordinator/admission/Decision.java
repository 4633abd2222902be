package dev.braid.coordinator.admission;

import dev.braid.coordinator.routing.Route;
import java.util.Objects;

/** The outcome of {@link Admission#admit}: sent to a replica, or refused at once. */
public sealed interface Decision {
  /** Admitted and routed; complete {@code route.ticket()} with the router when it ends. */
  record Admitted(Route route) implements Decision {
    public Admitted {
      Objects.requireNonNull(route, "route");
    }
  }

  /**
   * Refused, never queued.
   *
   * @param reason why
   * @param message for the client, naming the model and the figures that decided
   */
  record Refused(Reason reason, String message) implements Decision {
    public Refused {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }

    public StatusCode status() {
      return reason.status;
    }
  }

  /** Why a request was refused, with the gRPC status each maps to. */
  enum Reason {
    /** The frontend has a routing table and the model is not in it. */
    UNKNOWN_MODEL(StatusCode.NOT_FOUND),
    /** No routing table yet, or the model has no replica (not placed, or its only one failed). */
    NO_REPLICA(StatusCode.UNAVAILABLE),
    /** The tenant's token bucket is empty. */
    OVER_QUOTA(StatusCode.RESOURCE_EXHAUSTED),
    /** Every replica's predicted queue is past {@link AdmissionSettings#maxQueueDelay}. */
    OVERLOADED(StatusCode.RESOURCE_EXHAUSTED),
    /** No replica's predicted finish meets the deadline. */
    DEADLINE_UNREACHABLE(StatusCode.DEADLINE_EXCEEDED),
    /** A retry after a replica failed cannot make the deadline elsewhere, or has nowhere to go. */
    RETRY_IMPOSSIBLE(StatusCode.UNAVAILABLE);

    final StatusCode status;

    Reason(StatusCode status) {
      this.status = status;
    }

    public StatusCode status() {
      return status;
    }
  }
}
