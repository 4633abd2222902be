package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A frontend's drain and the requests it took, without a server. */
class RequestGateTest {
  @Test
  void aDrainWaitsForARequestBetweenItsCheckAndTheCluster() {
    RequestGate gate = new RequestGate();
    assertTrue(gate.enter(), "taken: it passed the drain check and has not reached the cluster yet");
    CompletableFuture<Void> drained = gate.close().toCompletableFuture();
    assertFalse(drained.isDone(), "the request taken holds the drain");
    assertFalse(gate.enter(), "a request after the drain began is refused");
    assertFalse(drained.isDone(), "the refused one does not count");
    gate.exit();
    assertTrue(drained.isDone(), "the taken request answered: drained");
  }
}
