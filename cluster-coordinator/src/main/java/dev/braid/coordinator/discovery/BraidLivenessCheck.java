package dev.braid.coordinator.discovery;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Pekko Management's liveness check ({@code GET /alive}, Kubernetes' liveness probe):
 * {@link NodeReadiness#live} over the node's {@link NodeHealth}; a downed or removed member fails
 * it, so that Kubernetes restarts the pod and it joins afresh.
 */
public final class BraidLivenessCheck implements Supplier<CompletionStage<Boolean>> {
  private final NodeHealth health;

  public BraidLivenessCheck(ActorSystem system) {
    this.health = NodeHealth.ID.get(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    NodeReadiness.Verdict v = NodeReadiness.live(health.facts());
    return v.ok() ? CompletableFuture.completedFuture(true)
        : CompletableFuture.failedFuture(new IllegalStateException("braid not alive: " + v.reason()));
  }
}
