package dev.braid.gpu.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.config.NanoClock;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuEndpoint;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.FaultingDevice;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.InferenceWire.FailureReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPU endpoint over a GPU actor on the CPU device, and over stand-ins that hang, stop or fail. */
class GpuEndpointTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration BUDGET = Duration.ofSeconds(30);
  static final String NODE = "pekko://braid@10.0.0.7:25520";
  static final String GPU = GpuWire.gpuId(NODE, 0);
  static final ActorTestKit kit = ActorTestKit.create();
  @TempDir
  static Path repo;
  static ZooFixture zoo;
  static ModelRepository repository;

  @BeforeAll
  static void models() {
    zoo = new ZooFixture(repo, "mlp");
    repository = ModelRepository.open(repo);
  }

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
    zoo.close();
  }

  static ActorRef<GpuWire.Command> spawn() {
    return kit.spawn(GpuEndpoint.create(NODE, 0, () -> new CpuDevice(2), GpuSettings.defaults(), repository));
  }

  /** An endpoint in front of a stand-in GPU actor; the repository is not read. */
  static ActorRef<GpuWire.Command> spawnOver(Behavior<GpuActor.Command> gpuActor, GpuSettings settings) {
    return kit.spawn(GpuEndpoint.create(NODE, 0, gpuActor, settings, repository, NanoClock.system()));
  }

  static GpuWire.ModelInfo load(ActorRef<GpuWire.Command> endpoint, String model) {
    TestProbe<GpuWire.LoadReply> probe = kit.createTestProbe();
    endpoint.tell(new GpuWire.Load(model, probe.ref()));
    GpuWire.Loaded loaded = assertInstanceOf(GpuWire.Loaded.class, probe.receiveMessage(WAIT));
    assertEquals(GPU, loaded.gpu());
    return loaded.info();
  }

  static InferenceWire.Infer infer(String id, String model, String version, Map<String, Tensor> inputs,
      Duration budget, ActorRef<InferenceWire.Reply> replyTo) {
    return new InferenceWire.Infer(id, model, version, inputs, budget, 0, "tenant-a", replyTo);
  }

  static InferenceWire.Failed failed(TestProbe<InferenceWire.Reply> replies, String id, FailureReason reason) {
    InferenceWire.Failed f = assertInstanceOf(InferenceWire.Failed.class, replies.receiveMessage(WAIT));
    assertEquals(id, f.requestId());
    assertEquals(reason, f.reason(), f.message());
    return f;
  }

  static GpuWire.Report report(ActorRef<GpuWire.Command> endpoint) {
    TestProbe<GpuWire.Report> probe = kit.createTestProbe();
    endpoint.tell(new GpuWire.GetReport(probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  @Test
  void aLoadedModelAnswersInferWithItsOutputsAndTheRequestId() {
    ActorRef<GpuWire.Command> endpoint = spawn();
    GpuWire.ModelInfo info = load(endpoint, "mlp");
    assertEquals("mlp", info.name());
    assertEquals(1, info.version());
    assertTrue(info.weightsBytes() > 0 && info.requestNanos() > 0, info.toString());
    assertEquals(zoo.models.get("mlp").config().maxBatchSize(), info.maxBatchSize());
    assertEquals(info, load(endpoint, "mlp"), "already loaded: answered at once");

    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = zoo.inputs("mlp", 2, 3);
    endpoint.tell(infer("r-1", "mlp", "", in, BUDGET, replies.ref()));
    InferenceWire.Completed c = assertInstanceOf(InferenceWire.Completed.class, replies.receiveMessage(WAIT));
    assertEquals("r-1", c.requestId());
    ZooFixture.assertClose(zoo.alone("mlp", in), c.outputs(), "mlp through the endpoint");
    endpoint.tell(infer("r-2", "mlp", "1", in, BUDGET, replies.ref()));
    assertEquals("r-2", assertInstanceOf(InferenceWire.Completed.class, replies.receiveMessage(WAIT)).requestId());
    kit.stop(endpoint);
  }

  @Test
  void concurrentLoadsOfOneModelLoadItOnceAndAnswerEveryone() {
    ActorRef<GpuWire.Command> endpoint = spawn();
    TestProbe<GpuWire.LoadReply> first = kit.createTestProbe();
    TestProbe<GpuWire.LoadReply> second = kit.createTestProbe();
    endpoint.tell(new GpuWire.Load("mlp", first.ref()));
    endpoint.tell(new GpuWire.Load("mlp", second.ref()));
    // A second LoadModel would have been refused by the GPU actor ("already loading").
    GpuWire.Loaded a = assertInstanceOf(GpuWire.Loaded.class, first.receiveMessage(WAIT));
    GpuWire.Loaded b = assertInstanceOf(GpuWire.Loaded.class, second.receiveMessage(WAIT));
    assertEquals(a, b);
    kit.stop(endpoint);
  }

  @Test
  void aModelMissingFromTheRepositoryFailsToLoadListingTheAvailableOnes() {
    ActorRef<GpuWire.Command> endpoint = spawn();
    TestProbe<GpuWire.LoadReply> probe = kit.createTestProbe();
    endpoint.tell(new GpuWire.Load("vgg", probe.ref()));
    GpuWire.LoadFailed f = assertInstanceOf(GpuWire.LoadFailed.class, probe.receiveMessage(WAIT));
    assertEquals(GPU, f.gpu());
    assertEquals("vgg", f.model());
    assertTrue(f.reason().contains("'vgg' not found") && f.reason().contains("available models: [mlp]"), f.reason());
    kit.stop(endpoint);
  }

  @Test
  void aModelNotLoadedOrAVersionNotLoadedIsModelNotFound() {
    ActorRef<GpuWire.Command> endpoint = spawn();
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = zoo.inputs("mlp", 1, 1);
    endpoint.tell(infer("r-1", "mlp", "", in, BUDGET, replies.ref()));
    assertTrue(failed(replies, "r-1", FailureReason.MODEL_NOT_FOUND).message().contains("'mlp' is not loaded"));

    load(endpoint, "mlp");
    endpoint.tell(infer("r-2", "mlp", "2", in, BUDGET, replies.ref()));
    String wrong = failed(replies, "r-2", FailureReason.MODEL_NOT_FOUND).message();
    assertTrue(wrong.contains("no version '2'") && wrong.contains("version 1"), wrong);
    endpoint.tell(infer("r-3", "resnet", "1", in, BUDGET, replies.ref()));
    String other = failed(replies, "r-3", FailureReason.MODEL_NOT_FOUND).message();
    assertTrue(other.contains("'resnet' version 1 is not loaded") && other.contains("[mlp]"), other);
    endpoint.tell(infer("r-4", "mlp", "", zoo.inputs("mlp", 1, 1).entrySet().stream()
        .collect(java.util.stream.Collectors.toMap(e -> e.getKey() + "-x", Map.Entry::getValue)), BUDGET,
        replies.ref()));
    failed(replies, "r-4", FailureReason.INVALID_INPUT);
    kit.stop(endpoint);
  }

  @Test
  void theReportShowsModelsCountsAndAnEmptyQueueOnceAnswered() {
    ActorRef<GpuWire.Command> endpoint = spawn();
    GpuWire.Report before = report(endpoint);
    assertEquals(List.of(), List.copyOf(before.models().keySet()));
    assertEquals(1.0, before.sloAttainment());

    load(endpoint, "mlp");
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = zoo.inputs("mlp", 1, 4);
    for (int i = 0; i < 3; i++) {
      endpoint.tell(infer("r-" + i, "mlp", "", in, BUDGET, replies.ref()));
    }
    endpoint.tell(infer("r-bad", "mlp", "7", in, BUDGET, replies.ref()));
    for (int i = 0; i < 4; i++) {
      replies.receiveMessage(WAIT);
    }
    GpuWire.Report r = report(endpoint);
    assertEquals(GPU, r.gpu());
    assertEquals(NODE, r.nodeAddress());
    assertEquals(0, r.ordinal());
    assertEquals("cpu (2 threads)", r.device());
    assertTrue(r.memoryBytes() > 0 && r.allocatedBytes() > 0, r.toString());
    assertEquals(List.of("mlp"), List.copyOf(r.models().keySet()));
    assertTrue(r.models().get("mlp").requestNanos() > 0);
    assertEquals("space-time", r.policy());
    assertEquals(0, r.queueDepth());
    assertEquals(0, r.predictedQueueNanos());
    assertEquals(3, r.completed());
    assertEquals(1, r.failed());
    assertEquals(0.75, r.sloAttainment(), 1e-9);
    assertTrue(r.utilisation() >= 0 && r.utilisation() <= 1, "utilisation " + r.utilisation());
    assertFalse(r.draining());
    assertTrue(r.healthy());
    assertEquals("", r.unhealthyReason());
    kit.stop(endpoint);
  }

  @Test
  void theReportCountsTheGpuActorsRestarts() throws InterruptedException {
    FaultingDevice.Fault fault = new FaultingDevice.Fault(k -> true);
    ActorRef<GpuWire.Command> endpoint = spawnOver(GpuActor.create(
        () -> new FaultingDevice(new CpuDevice(2), fault), GpuSettings.defaults(), NanoClock.system()),
        GpuSettings.defaults());
    load(endpoint, "mlp");
    assertEquals(0, report(endpoint).restarts());

    // A fault of Braid escaping the engine: the request is answered INTERNAL, the actor restarts,
    // and its reload of mlp takes it down once more (the fault is still armed), so mlp is dropped.
    fault.armError(() -> new AssertionError("injected assertion in a launch"));
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    endpoint.tell(infer("r-fault", "mlp", "", zoo.inputs("mlp", 1, 4), BUDGET, replies.ref()));
    failed(replies, "r-fault", FailureReason.INTERNAL);
    // The reload runs after the restart's back-off (100 ms by default): poll for it, bounded.
    GpuWire.Report r = report(endpoint);
    for (int i = 0; i < 100 && r.restarts() < 2; i++) {
      Thread.sleep(100);
      r = report(endpoint);
    }
    assertEquals(2, r.restarts(), "one restart for the request's fault, one for the reload's: " + r);
    assertTrue(r.healthy(), "a restart is not a device fault: " + r);
    kit.stop(endpoint);
  }

  @Test
  void drainAnswersDrainedAndLaterRequestsAreUnavailable() {
    ActorRef<GpuWire.Command> endpoint = spawn();
    load(endpoint, "mlp");
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    TestProbe<GpuWire.Drained> drained = kit.createTestProbe();
    Map<String, Tensor> in = zoo.inputs("mlp", 1, 5);
    endpoint.tell(infer("before", "mlp", "", in, BUDGET, replies.ref()));
    endpoint.tell(new GpuWire.Drain(drained.ref()));
    endpoint.tell(infer("after", "mlp", "", in, BUDGET, replies.ref()));

    InferenceWire.Failed refused = failed(replies, "after", FailureReason.UNAVAILABLE);
    assertEquals("gpu " + GPU + " is draining and takes no new work", refused.message());
    assertEquals("before", assertInstanceOf(InferenceWire.Completed.class, replies.receiveMessage(WAIT)).requestId());
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT));
    endpoint.tell(new GpuWire.Drain(drained.ref()));
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT), "drained already: at once");

    TestProbe<GpuWire.LoadReply> load = kit.createTestProbe();
    endpoint.tell(new GpuWire.Load("other", load.ref()));
    assertInstanceOf(GpuWire.LoadFailed.class, load.receiveMessage(WAIT));
    assertTrue(report(endpoint).draining());
    kit.stop(endpoint);
  }

  @Test
  void setPolicyIsAcceptedForAKnownPolicyAndRejectedNamingTheValidOnes() {
    ActorRef<GpuWire.Command> endpoint = spawn();
    TestProbe<GpuWire.PolicyReply> probe = kit.createTestProbe();
    endpoint.tell(new GpuWire.SetPolicy("time-only", probe.ref()));
    GpuWire.PolicyReply ok = probe.receiveMessage(WAIT);
    assertEquals(GPU, ok.gpu());
    assertTrue(ok.accepted(), ok.message());
    assertEquals("time-only", report(endpoint).policy());

    endpoint.tell(new GpuWire.SetPolicy("round-robin", probe.ref()));
    GpuWire.PolicyReply no = probe.receiveMessage(WAIT);
    assertFalse(no.accepted());
    assertTrue(no.message().contains("'round-robin'") && no.message().contains("space-time"), no.message());
    kit.stop(endpoint);
  }

  @Test
  void unloadAnswersUnloadedAndTheModelIsGone() {
    ActorRef<GpuWire.Command> endpoint = spawn();
    load(endpoint, "mlp");
    TestProbe<GpuWire.Unloaded> probe = kit.createTestProbe();
    endpoint.tell(new GpuWire.Unload("mlp", probe.ref()));
    assertEquals(new GpuWire.Unloaded(GPU, "mlp", true), probe.receiveMessage(WAIT));
    endpoint.tell(new GpuWire.Unload("mlp", probe.ref()));
    assertEquals(new GpuWire.Unloaded(GPU, "mlp", false), probe.receiveMessage(WAIT));

    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    endpoint.tell(infer("r-1", "mlp", "", zoo.inputs("mlp", 1, 1), BUDGET, replies.ref()));
    failed(replies, "r-1", FailureReason.MODEL_NOT_FOUND);
    GpuWire.Report r = report(endpoint);
    assertTrue(r.models().isEmpty(), r.models().toString());
    assertEquals(0, r.allocatedBytes(), "the weights are freed");
    kit.stop(endpoint);
  }

  @Test
  void aRequestTheGpuActorNeverAnswersIsDeadlineExceededAfterItsBudgetAndTheGrace() {
    Behavior<GpuActor.Command> silent = Behaviors.ignore();
    ActorRef<GpuWire.Command> endpoint = spawnOver(silent,
        GpuSettings.defaults().withEndpointTimeouts(Duration.ofMillis(50), Duration.ofMillis(200)));
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    endpoint.tell(infer("r-1", "mlp", "", zoo.inputs("mlp", 1, 1), Duration.ofMillis(100), replies.ref()));
    failed(replies, "r-1", FailureReason.DEADLINE_EXCEEDED);
    replies.expectNoMessage(Duration.ofMillis(100));

    GpuWire.Report r = report(endpoint);
    assertFalse(r.healthy());
    assertTrue(r.unhealthyReason().contains("did not answer"), r.unhealthyReason());
    assertEquals(0, r.queueDepth());
    kit.stop(endpoint);
  }

  @Test
  void aGpuActorThatFailsHasItsHeldRequestsAnsweredInternalAndLaterOnesUnavailable() {
    // Holds every request; fails on Drain.
    Behavior<GpuActor.Command> failing = Behaviors.receive(GpuActor.Command.class)
        .onMessage(GpuActor.Drain.class, m -> {
          throw new IllegalStateException("device lost");
        })
        .onAnyMessage(m -> Behaviors.same())
        .build();
    ActorRef<GpuWire.Command> endpoint = spawnOver(failing, GpuSettings.defaults());
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = zoo.inputs("mlp", 1, 1);
    endpoint.tell(infer("held", "mlp", "", in, BUDGET, replies.ref()));
    TestProbe<GpuWire.Drained> drained = kit.createTestProbe();
    endpoint.tell(new GpuWire.Drain(drained.ref()));
    assertTrue(failed(replies, "held", FailureReason.INTERNAL).message().contains("device lost"));
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT));

    endpoint.tell(infer("later", "mlp", "", in, BUDGET, replies.ref()));
    failed(replies, "later", FailureReason.UNAVAILABLE);
    TestProbe<GpuWire.LoadReply> load = kit.createTestProbe();
    endpoint.tell(new GpuWire.Load("mlp", load.ref()));
    assertInstanceOf(GpuWire.LoadFailed.class, load.receiveMessage(WAIT));
    GpuWire.Report r = report(endpoint);
    assertFalse(r.healthy());
    assertTrue(r.unhealthyReason().contains("device lost"), r.unhealthyReason());
    assertEquals(0, r.queueDepth());
    kit.stop(endpoint);
  }

  @Test
  void aGpuActorThatStopsHasItsHeldRequestsAnsweredUnavailable() {
    // Holds every request; stops on SetPolicy.
    Behavior<GpuActor.Command> stopping = Behaviors.receive(GpuActor.Command.class)
        .onMessage(GpuActor.SetPolicy.class, m -> Behaviors.stopped())
        .onAnyMessage(m -> Behaviors.same())
        .build();
    ActorRef<GpuWire.Command> endpoint = spawnOver(stopping, GpuSettings.defaults());
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    endpoint.tell(infer("held", "mlp", "", zoo.inputs("mlp", 1, 1), BUDGET, replies.ref()));
    TestProbe<GpuWire.PolicyReply> policy = kit.createTestProbe();
    endpoint.tell(new GpuWire.SetPolicy("fifo", policy.ref()));
    assertTrue(failed(replies, "held", FailureReason.UNAVAILABLE).message().contains("the GPU actor stopped"));
    // Answered when the GPU actor stopped, well before the control timeout (10 s).
    GpuWire.PolicyReply reply = policy.receiveMessage(Duration.ofSeconds(3));
    assertFalse(reply.accepted());
    assertTrue(reply.message().contains("the GPU actor stopped"), reply.message());
    kit.stop(endpoint);
  }
}
