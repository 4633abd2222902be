package dev.braid.coordinator.cluster;

import dev.braid.protocol.cluster.CoordinatorWire;
import dev.braid.protocol.cluster.GpuWire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A scheduling-policy change sent to several GPUs at once: each is asked within {@code timeout},
 * one that does not answer counts as refusing, and the one result comes once all have answered
 * ({@link CoordinatorReplies#policyResult}).
 */
final class PolicyFanOut {
  private PolicyFanOut() {}

  /**
   * Asks each GPU of {@code targets} (by its id) to switch to {@code policy}.
   */
  static CompletionStage<CoordinatorWire.PolicyResult> ask(List<ClusterView.Gpu> targets, String policy,
      Duration timeout, Scheduler scheduler) {
    List<CompletableFuture<GpuWire.PolicyReply>> asks = new ArrayList<>();
    for (ClusterView.Gpu g : targets) {
      String id = g.report.gpu();
      ActorRef<GpuWire.Command> ref = g.ref;
      asks.add(AskPattern.<GpuWire.Command, GpuWire.PolicyReply>ask(ref,
              replyTo -> new GpuWire.SetPolicy(policy, replyTo), timeout, scheduler)
          .toCompletableFuture()
          .exceptionally(t -> new GpuWire.PolicyReply(id, false, "no answer: " + t)));
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .thenApply(v -> CoordinatorReplies.policyResult(policy, asks.stream().map(CompletableFuture::join).toList()));
  }
}
