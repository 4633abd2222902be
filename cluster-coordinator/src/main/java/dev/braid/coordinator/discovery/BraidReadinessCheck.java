package dev.braid.coordinator.discovery;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Pekko Management's readiness check ({@code GET /ready} on the management port, Kubernetes'
 * readiness probe): {@link NodeReadiness#ready} over the node's {@link NodeHealth}. Not ready
 * fails the check with the reason, which the probe's answer shows. Pekko Management creates it by
 * reflection from {@code pekko.management.health-checks.readiness-checks}, with the actor system.
 */
public final class BraidReadinessCheck implements Supplier<CompletionStage<Boolean>> {
  private final NodeHealth health;

  public BraidReadinessCheck(ActorSystem system) {
    this.health = NodeHealth.ID.get(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    NodeReadiness.Verdict v = NodeReadiness.ready(health.facts());
    return v.ok() ? CompletableFuture.completedFuture(true)
        : CompletableFuture.failedFuture(new IllegalStateException("braid not ready: " + v.reason()));
  }
}
