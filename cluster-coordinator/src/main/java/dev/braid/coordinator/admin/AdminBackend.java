package dev.braid.coordinator.admin;

import dev.braid.protocol.cluster.CoordinatorWire;
import java.util.concurrent.CompletionStage;

/**
 * What {@link AdminService} asks of the cluster: the coordinator's three admin conversations
 * ({@link CoordinatorWire.GetStatus}, {@link CoordinatorWire.DrainNode},
 * {@link CoordinatorWire.SetPolicy}) as stages. The cluster implements it by asking the
 * coordinator singleton; tests implement it with fixed answers.
 *
 * <p>Contract: each stage completes with the coordinator's answer, or fails (a
 * {@link java.util.concurrent.TimeoutException} when the coordinator did not answer in time; any
 * exception when it could not be asked). Every ask carries its own timeout, so a stage never
 * stays pending forever. A {@link CoordinatorWire.DrainReply} refusing an address that is not a
 * member of the cluster has {@code safeToRemove == false} and a message containing "unknown"
 * (see {@link #isUnknownNode}).
 */
public interface AdminBackend {
  /** The cluster as the coordinator sees it now. */
  CompletionStage<CoordinatorWire.ClusterStatus> status();

  /**
   * Drains the node at {@code nodeAddress} ("pekko://braid@host:port"); completes once it is safe
   * to remove, or at once when it cannot be drained.
   */
  CompletionStage<CoordinatorWire.DrainReply> drain(String nodeAddress);

  /** Switches GPU {@code gpu}'s scheduling policy (every GPU's when {@code gpu} is "*"). */
  CompletionStage<CoordinatorWire.PolicyResult> setPolicy(String gpu, String policy);

  /** Whether {@code reply} refuses the drain because its address is no member of the cluster. */
  static boolean isUnknownNode(CoordinatorWire.DrainReply reply) {
    return !reply.safeToRemove() && reply.message().toLowerCase(java.util.Locale.ROOT).contains("unknown");
  }
}
