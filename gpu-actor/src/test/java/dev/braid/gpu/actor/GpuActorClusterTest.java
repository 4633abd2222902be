package dev.braid.gpu.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.device.DeviceStream;
import dev.braid.device.ForwardingDevice;
import dev.braid.device.Launch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.FaultingDevice;
import dev.braid.gpu.engine.ZooExtension;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The GPU actor as the cluster sees it, loading from a model repository on disk: on the CPU device,
 * on one whose launches hang once armed, and on one that does not open.
 */
class GpuActorClusterTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration BUDGET = Duration.ofSeconds(30);
  static final String NODE = "pekko://braid@10.0.0.7:25520";
  static final String GPU = GpuWire.gpuId(NODE, 0);
  static final ActorTestKit kit = ActorTestKit.create();
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp");
  static ModelRepository repository;

  @BeforeAll
  static void openRepository() {
    repository = ModelRepository.open(ZOO.repo());
  }

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  static ActorRef<GpuWire.Command> spawn() {
    return spawn(() -> new CpuDevice(2), GpuSettings.defaults());
  }

  static ActorRef<GpuWire.Command> spawn(Supplier<Device> device, GpuSettings settings) {
    return kit.spawn(GpuActor.create(NODE, 0, device, settings, repository));
  }

  /** A CPU device whose launches, once {@code hang} is set, never complete. */
  static final class HangingDevice extends ForwardingDevice {
    final AtomicBoolean hang = new AtomicBoolean();

    HangingDevice() {
      super(new CpuDevice(2));
    }

    @Override
    public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
      return hang.get() ? new CompletableFuture<>() : delegate.launch(launch, stream);
    }
  }

  static GpuWire.ModelInfo load(ActorRef<GpuWire.Command> gpu, String model) {
    TestProbe<GpuWire.LoadReply> probe = kit.createTestProbe();
    gpu.tell(new GpuWire.Load(model, probe.ref()));
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

  static GpuWire.Report report(ActorRef<GpuWire.Command> gpu) {
    TestProbe<GpuWire.Report> probe = kit.createTestProbe();
    gpu.tell(new GpuWire.GetReport(probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  @Test
  void aLoadedModelAnswersInferWithItsOutputsAndTheRequestId() {
    ActorRef<GpuWire.Command> gpu = spawn();
    GpuWire.ModelInfo info = load(gpu, "mlp");
    assertEquals("mlp", info.name());
    assertEquals(1, info.version());
    assertTrue(info.weightsBytes() > 0 && info.requestNanos() > 0, info.toString());
    assertEquals(ZOO.zoo().models.get("mlp").config().maxBatchSize(), info.maxBatchSize());
    assertEquals(info, load(gpu, "mlp"), "already loaded: answered at once");

    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = ZOO.zoo().inputs("mlp", 2, 3);
    gpu.tell(infer("r-1", "mlp", "", in, BUDGET, replies.ref()));
    InferenceWire.Completed c = assertInstanceOf(InferenceWire.Completed.class, replies.receiveMessage(WAIT));
    assertEquals("r-1", c.requestId());
    ZooFixture.assertClose(ZOO.zoo().alone("mlp", in), c.outputs(), "mlp through the gpu");
    gpu.tell(infer("r-2", "mlp", "1", in, BUDGET, replies.ref()));
    assertEquals("r-2", assertInstanceOf(InferenceWire.Completed.class, replies.receiveMessage(WAIT)).requestId());
    kit.stop(gpu);
  }

  @Test
  void concurrentLoadsOfOneModelLoadItOnceAndAnswerEveryone() {
    ActorRef<GpuWire.Command> gpu = spawn();
    TestProbe<GpuWire.LoadReply> first = kit.createTestProbe();
    TestProbe<GpuWire.LoadReply> second = kit.createTestProbe();
    gpu.tell(new GpuWire.Load("mlp", first.ref()));
    gpu.tell(new GpuWire.Load("mlp", second.ref()));
    // A second LoadModel would have been refused by the GPU actor ("already loading").
    GpuWire.Loaded a = assertInstanceOf(GpuWire.Loaded.class, first.receiveMessage(WAIT));
    GpuWire.Loaded b = assertInstanceOf(GpuWire.Loaded.class, second.receiveMessage(WAIT));
    assertEquals(a, b);
    kit.stop(gpu);
  }

  @Test
  void aModelMissingFromTheRepositoryFailsToLoadListingTheAvailableOnes() {
    ActorRef<GpuWire.Command> gpu = spawn();
    TestProbe<GpuWire.LoadReply> probe = kit.createTestProbe();
    gpu.tell(new GpuWire.Load("vgg", probe.ref()));
    GpuWire.LoadFailed f = assertInstanceOf(GpuWire.LoadFailed.class, probe.receiveMessage(WAIT));
    assertEquals(GPU, f.gpu());
    assertEquals("vgg", f.model());
    assertTrue(f.reason().contains("'vgg' not found") && f.reason().contains("available models: [mlp]"), f.reason());
    kit.stop(gpu);
  }

  @Test
  void aModelNotLoadedOrAVersionNotLoadedIsModelNotFound() {
    ActorRef<GpuWire.Command> gpu = spawn();
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = ZOO.zoo().inputs("mlp", 1, 1);
    gpu.tell(infer("r-1", "mlp", "", in, BUDGET, replies.ref()));
    assertTrue(failed(replies, "r-1", FailureReason.UNKNOWN_MODEL).message().contains("'mlp' is not loaded"));

    load(gpu, "mlp");
    gpu.tell(infer("r-2", "mlp", "2", in, BUDGET, replies.ref()));
    String wrong = failed(replies, "r-2", FailureReason.UNKNOWN_MODEL).message();
    assertTrue(wrong.contains("no version '2'") && wrong.contains("version 1"), wrong);
    gpu.tell(infer("r-3", "resnet", "1", in, BUDGET, replies.ref()));
    String other = failed(replies, "r-3", FailureReason.UNKNOWN_MODEL).message();
    assertTrue(other.contains("'resnet' version 1 is not loaded") && other.contains("[mlp]"), other);
    gpu.tell(infer("r-4", "mlp", "", ZOO.zoo().inputs("mlp", 1, 1).entrySet().stream()
        .collect(java.util.stream.Collectors.toMap(e -> e.getKey() + "-x", Map.Entry::getValue)), BUDGET,
        replies.ref()));
    failed(replies, "r-4", FailureReason.INVALID_INPUT);
    kit.stop(gpu);
  }

  @Test
  void theReportShowsModelsCountsAndAnEmptyQueueOnceAnswered() {
    ActorRef<GpuWire.Command> gpu = spawn();
    GpuWire.Report before = report(gpu);
    assertEquals(List.of(), List.copyOf(before.models().keySet()));
    assertEquals(1.0, before.sloAttainment());

    load(gpu, "mlp");
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = ZOO.zoo().inputs("mlp", 1, 4);
    for (int i = 0; i < 3; i++) {
      gpu.tell(infer("r-" + i, "mlp", "", in, BUDGET, replies.ref()));
    }
    gpu.tell(infer("r-bad", "mlp", "7", in, BUDGET, replies.ref()));
    for (int i = 0; i < 4; i++) {
      replies.receiveMessage(WAIT);
    }
    GpuWire.Report r = report(gpu);
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
    kit.stop(gpu);
  }

  @Test
  void theReportCountsTheGpuActorsRestarts() throws InterruptedException {
    FaultingDevice.Fault fault = new FaultingDevice.Fault(k -> true);
    ActorRef<GpuWire.Command> gpu = spawn(() -> new FaultingDevice(new CpuDevice(2), fault),
        GpuSettings.defaults());
    load(gpu, "mlp");
    assertEquals(0, report(gpu).restarts());

    // A fault of Braid escaping the engine: the request is answered INTERNAL, the actor restarts,
    // and its reload of mlp takes it down once more (the fault is still armed), so mlp is dropped.
    fault.armError(() -> new AssertionError("injected assertion in a launch"));
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("r-fault", "mlp", "", ZOO.zoo().inputs("mlp", 1, 4), BUDGET, replies.ref()));
    failed(replies, "r-fault", FailureReason.INTERNAL);
    // The reload runs after the restart's back-off (100 ms by default): poll for it, bounded.
    GpuWire.Report r = report(gpu);
    for (int i = 0; i < 100 && r.restarts() < 2; i++) {
      Thread.sleep(100);
      r = report(gpu);
    }
    assertEquals(2, r.restarts(), "one restart for the request's fault, one for the reload's: " + r);
    assertTrue(r.healthy(), "a restart is not a device fault: " + r);
    kit.stop(gpu);
  }

  @Test
  void drainAnswersDrainedAndLaterRequestsAreUnavailable() {
    ActorRef<GpuWire.Command> gpu = spawn();
    load(gpu, "mlp");
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    TestProbe<GpuWire.Drained> drained = kit.createTestProbe();
    Map<String, Tensor> in = ZOO.zoo().inputs("mlp", 1, 5);
    gpu.tell(infer("before", "mlp", "", in, BUDGET, replies.ref()));
    gpu.tell(new GpuWire.Drain(drained.ref()));
    gpu.tell(infer("after", "mlp", "", in, BUDGET, replies.ref()));

    InferenceWire.Failed refused = failed(replies, "after", FailureReason.DRAINING);
    assertEquals("gpu " + GPU + " is draining and takes no new work", refused.message());
    assertEquals("before", assertInstanceOf(InferenceWire.Completed.class, replies.receiveMessage(WAIT)).requestId());
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT));
    gpu.tell(new GpuWire.Drain(drained.ref()));
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT), "drained already: at once");

    TestProbe<GpuWire.LoadReply> load = kit.createTestProbe();
    gpu.tell(new GpuWire.Load("other", load.ref()));
    assertInstanceOf(GpuWire.LoadFailed.class, load.receiveMessage(WAIT));
    assertTrue(report(gpu).draining());
    kit.stop(gpu);
  }

  @Test
  void setPolicyIsAcceptedForAKnownPolicyAndRejectedNamingTheValidOnes() {
    ActorRef<GpuWire.Command> gpu = spawn();
    TestProbe<GpuWire.PolicyReply> probe = kit.createTestProbe();
    gpu.tell(new GpuWire.SetPolicy("time-only", probe.ref()));
    GpuWire.PolicyReply ok = probe.receiveMessage(WAIT);
    assertEquals(GPU, ok.gpu());
    assertTrue(ok.accepted(), ok.message());
    assertEquals("time-only", report(gpu).policy());

    gpu.tell(new GpuWire.SetPolicy("round-robin", probe.ref()));
    GpuWire.PolicyReply no = probe.receiveMessage(WAIT);
    assertFalse(no.accepted());
    assertTrue(no.message().contains("'round-robin'") && no.message().contains("space-time"), no.message());
    kit.stop(gpu);
  }

  @Test
  void unloadAnswersUnloadedAndTheModelIsGone() {
    ActorRef<GpuWire.Command> gpu = spawn();
    load(gpu, "mlp");
    TestProbe<GpuWire.Unloaded> probe = kit.createTestProbe();
    gpu.tell(new GpuWire.Unload("mlp", probe.ref()));
    assertEquals(new GpuWire.Unloaded(GPU, "mlp", true), probe.receiveMessage(WAIT));
    gpu.tell(new GpuWire.Unload("mlp", probe.ref()));
    assertEquals(new GpuWire.Unloaded(GPU, "mlp", false), probe.receiveMessage(WAIT));

    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("r-1", "mlp", "", ZOO.zoo().inputs("mlp", 1, 1), BUDGET, replies.ref()));
    failed(replies, "r-1", FailureReason.UNKNOWN_MODEL);
    GpuWire.Report r = report(gpu);
    assertTrue(r.models().isEmpty(), r.models().toString());
    assertEquals(0, r.allocatedBytes(), "the weights are freed");
    kit.stop(gpu);
  }

  @Test
  void aRequestTheDeviceNeverCompletesIsDeadlineExceededAfterItsBudgetAndTheGrace() {
    HangingDevice device = new HangingDevice();
    ActorRef<GpuWire.Command> gpu = spawn(() -> device,
        GpuSettings.defaults().withEndpointReplyGrace(Duration.ofMillis(50)));
    load(gpu, "mlp");
    device.hang.set(true);
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("r-1", "mlp", "", ZOO.zoo().inputs("mlp", 1, 1), Duration.ofMillis(100), replies.ref()));
    failed(replies, "r-1", FailureReason.TOO_LATE);
    replies.expectNoMessage(Duration.ofMillis(300));
    GpuWire.Report r = report(gpu);
    assertEquals(0, r.queueDepth(), "answered: no longer in flight");
    assertEquals(1, r.failed());
    kit.stop(gpu);
  }

  @Test
  void aDeviceThatDoesNotOpenLeavesAGpuThatAnswersEverythingAtOnceWithTheReason() {
    ActorRef<GpuWire.Command> gpu = spawn(() -> {
      throw new IllegalStateException("device lost");
    }, GpuSettings.defaults());
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = ZOO.zoo().inputs("mlp", 1, 1);
    gpu.tell(infer("later", "mlp", "", in, BUDGET, replies.ref()));
    assertTrue(failed(replies, "later", FailureReason.GPU_UNAVAILABLE).message().contains("device lost"));
    TestProbe<GpuWire.Drained> drained = kit.createTestProbe();
    gpu.tell(new GpuWire.Drain(drained.ref()));
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT));
    TestProbe<GpuWire.LoadReply> load = kit.createTestProbe();
    gpu.tell(new GpuWire.Load("mlp", load.ref()));
    assertTrue(assertInstanceOf(GpuWire.LoadFailed.class, load.receiveMessage(WAIT)).reason().contains("device lost"));
    TestProbe<GpuWire.PolicyReply> policy = kit.createTestProbe();
    gpu.tell(new GpuWire.SetPolicy("fifo", policy.ref()));
    assertFalse(policy.receiveMessage(WAIT).accepted());
    GpuWire.Report r = report(gpu);
    assertEquals(GPU, r.gpu());
    assertFalse(r.healthy());
    assertTrue(r.unhealthyReason().contains("device lost"), r.unhealthyReason());
    assertEquals(0, r.queueDepth());
    assertEquals(1, r.failed());
    kit.stop(gpu);
  }

  @Test
  void aGpuActorThatStopsHasItsHeldRequestsAnsweredUnavailable() {
    HangingDevice device = new HangingDevice();
    ActorRef<GpuWire.Command> gpu = spawn(() -> device, GpuSettings.defaults());
    load(gpu, "mlp");
    device.hang.set(true);
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("held", "mlp", "", ZOO.zoo().inputs("mlp", 1, 1), BUDGET, replies.ref()));
    replies.expectNoMessage(Duration.ofMillis(300));
    assertEquals(1, report(gpu).queueDepth(), "held by the hanging device");
    kit.stop(gpu);
    failed(replies, "held", FailureReason.UNLOADED); // the engine, closed first, answers what it holds
    replies.expectNoMessage(Duration.ofMillis(200));
  }
}
