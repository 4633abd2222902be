package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.admission.AdmissionSettings;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.RoutingTableWire;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The frontend's wait for a GPU's answer (one timer for all requests in flight): a request no GPU
 * answers ends UNAVAILABLE once, after its budget and the reply grace and not before, whatever the
 * order its neighbours were sent in; an answer in time ends it and nothing fires later.
 */
class ClusterClientTimeoutTest {
  private static final Duration GRACE = Duration.ofMillis(200);
  private static final Map<String, Tensor> INPUTS = Map.of("x", Tensor.ofFloats(Shape.of(1, 4), new float[4]));

  private ActorTestKit kit;
  private ClusterClient client;
  private TestProbe<InferenceWire.Infer> gpu;

  @BeforeEach
  void start() {
    Config config = ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        """).withFallback(ConfigFactory.load());
    kit = ActorTestKit.create("frontend", config);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    TestProbe<Object> wait = kit.createTestProbe();
    wait.awaitAssert(Duration.ofSeconds(10), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    client = ClusterClient.start(kit.system(), AdmissionSettings.DEFAULTS, GRACE);
    gpu = kit.createTestProbe();
    String node = cluster.selfMember().address().toString();
    RoutingTableWire table = new RoutingTableWire(1, Map.of("m", new RoutingTableWire.Route("m", 1, 1_000_000,
        List.of(new RoutingTableWire.Replica(gpu.ref(), node, 0, 0, 0, 1.0)), "READY", "")));
    // The client's table listener registers with the Receptionist, as the coordinator finds it.
    TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
    wait.awaitAssert(Duration.ofSeconds(10), () -> {
      kit.system().receptionist().tell(Receptionist.find(Coordinator.FRONTENDS, listing.ref()));
      Receptionist.Listing l = listing.receiveMessage();
      assertFalse(l.getServiceInstances(Coordinator.FRONTENDS).isEmpty());
      l.getServiceInstances(Coordinator.FRONTENDS).forEach(f -> f.tell(table));
      return null;
    });
    client.firstTable().toCompletableFuture().join();
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private CompletableFuture<Map<String, Tensor>> infer(Duration budget) {
    return client.infer("m", "", INPUTS, budget, 0, "t");
  }

  private static StatusRuntimeException failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    return assertInstanceOf(StatusRuntimeException.class, e.getCause());
  }

  @Test
  void aRequestItsCallerCancelsIsWithdrawnFromItsGpuAndItsLateAnswerIgnored() {
    CompletableFuture<Map<String, Tensor>> f = client.infer("m", "", INPUTS, Duration.ofSeconds(5), 0, "t", "oip-7");
    InferenceWire.Infer sent = gpu.receiveMessage();
    assertEquals("oip-7", sent.clientRequestId(), "the client's own id travels to the GPU");
    assertTrue(f.cancel(false));
    @SuppressWarnings("unchecked")
    TestProbe<Object> any = (TestProbe<Object>) (TestProbe<?>) gpu;
    assertEquals(new InferenceWire.Cancel(sent.requestId()), any.receiveMessage());
    assertEquals(0, client.inFlight(), "the cancelled request left the frontend's flight");
    sent.replyTo().tell(new InferenceWire.Failed(sent.requestId(), dev.braid.protocol.cluster.FailureReason.CANCELLED,
        "cancelled"));
    any.expectNoMessage(GRACE.multipliedBy(3)); // no retry of a cancelled request, no second cancel
  }

  @Test
  void aRequestNoGpuAnswersFailsUnavailableOnceAfterItsBudgetAndTheGrace() {
    Duration budget = Duration.ofMillis(300);
    long sent = System.nanoTime();
    CompletableFuture<Map<String, Tensor>> f = infer(budget);
    InferenceWire.Infer m = gpu.receiveMessage();
    StatusRuntimeException e = failure(f);
    long waitedNanos = System.nanoTime() - sent;
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("no answer"), e.getStatus().getDescription());
    assertTrue(waitedNanos >= budget.plus(GRACE).toNanos(), "failed after " + waitedNanos + " ns");
    assertEquals(0, client.inFlight());
    // The GPU's late answer finds nothing to complete.
    m.replyTo().tell(new InferenceWire.Completed(m.requestId(), INPUTS));
    gpu.expectNoMessage(Duration.ofMillis(100));
    assertEquals(0, client.inFlight());
  }

  @Test
  void aShorterWaitSentLaterEndsFirst() {
    CompletableFuture<Map<String, Tensor>> longer = infer(Duration.ofSeconds(3));
    CompletableFuture<Map<String, Tensor>> shorter = infer(Duration.ofMillis(100));
    gpu.receiveMessage();
    gpu.receiveMessage();
    assertEquals(Status.Code.UNAVAILABLE, failure(shorter).getStatus().getCode());
    assertFalse(longer.isDone(), "the longer wait is not over");
    assertEquals(1, client.inFlight());
    assertEquals(Status.Code.UNAVAILABLE, failure(longer).getStatus().getCode());
    assertEquals(0, client.inFlight());
  }

  @Test
  void anAnswerInTimeEndsTheRequestAndItsWaitFiresNothing() throws Exception {
    CompletableFuture<Map<String, Tensor>> f = infer(Duration.ofMillis(100));
    InferenceWire.Infer m = gpu.receiveMessage();
    m.replyTo().tell(new InferenceWire.Completed(m.requestId(), INPUTS));
    assertEquals(INPUTS.keySet(), f.get(10, TimeUnit.SECONDS).keySet());
    // Past its budget and grace: no retry is sent.
    gpu.expectNoMessage(Duration.ofMillis(500));
    assertEquals(0, client.inFlight());
  }
}
