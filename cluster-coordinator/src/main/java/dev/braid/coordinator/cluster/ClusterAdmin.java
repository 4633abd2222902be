package dev.braid.coordinator.cluster;

import dev.braid.coordinator.admin.AdminBackend;
import dev.braid.protocol.cluster.CoordinatorWire;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/** The admin service's backend on a frontend: asks the coordinator singleton through its proxy. */
public final class ClusterAdmin implements AdminBackend {
  private final ActorRef<CoordinatorWire.Command> coordinator;
  private final Scheduler scheduler;
  private final Duration askTimeout;
  private final Duration drainTimeout;

  /**
   * @param askTimeout how long status and policy changes may take
   * @param drainTimeout how long a drain may take (moving models and finishing in-flight work)
   */
  public ClusterAdmin(ActorRef<CoordinatorWire.Command> coordinator, Scheduler scheduler, Duration askTimeout,
      Duration drainTimeout) {
    this.coordinator = coordinator;
    this.scheduler = scheduler;
    this.askTimeout = askTimeout;
    this.drainTimeout = drainTimeout;
  }

  @Override
  public CompletionStage<CoordinatorWire.ClusterStatus> status() {
    return AskPattern.ask(coordinator, CoordinatorWire.GetStatus::new, askTimeout, scheduler);
  }

  @Override
  public CompletionStage<CoordinatorWire.DrainReply> drain(String nodeAddress) {
    return AskPattern.ask(coordinator, replyTo -> new CoordinatorWire.DrainNode(nodeAddress, replyTo), drainTimeout,
        scheduler);
  }

  @Override
  public CompletionStage<CoordinatorWire.PolicyResult> setPolicy(String gpu, String policy) {
    return AskPattern.ask(coordinator, replyTo -> new CoordinatorWire.SetPolicy(gpu, policy, replyTo),
        askTimeout.multipliedBy(2), scheduler);
  }
}
