package dev.braid.gpu.actor;

import static dev.braid.gpu.actor.Gpus.GPU;
import static dev.braid.gpu.actor.Gpus.WAIT;
import static dev.braid.gpu.actor.Gpus.completed;
import static dev.braid.gpu.actor.Gpus.failed;
import static dev.braid.gpu.actor.Gpus.infer;
import static dev.braid.gpu.actor.Gpus.load;
import static dev.braid.gpu.actor.Gpus.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.ZooExtension;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The GPU actor on the CPU device, through the cluster protocol. */
class GpuActorTest {
  static final Duration BUDGET = Duration.ofSeconds(30);
  static final ActorTestKit kit = ActorTestKit.create();
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp", "resnet18");

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  private final AtomicReference<CpuDevice> device = new AtomicReference<>();

  private ActorRef<GpuWire.Command> spawn(Map<String, RepositoryModel> models) {
    return Gpus.spawn(kit, () -> {
      device.set(new CpuDevice(2));
      return device.get();
    }, GpuSettings.defaults(), models);
  }

  private ActorRef<GpuWire.Command> spawn() {
    return spawn(ZOO.zoo().models);
  }

  private static void loadPriced(ActorRef<GpuWire.Command> gpu, String name) {
    GpuWire.ModelInfo loaded = load(kit, gpu, name);
    assertTrue(loaded.weightsBytes() > 0);
    assertTrue(loaded.requestNanos() > 0, "the cost model prices a batch-1 request at load");
  }

  @Test
  void loadInferSetPolicyReportAndUnload() {
    ActorRef<GpuWire.Command> gpu = spawn();
    loadPriced(gpu, "mlp");
    loadPriced(gpu, "resnet18");

    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Map<String, Tensor>> inputs = Map.of("mlp", ZOO.zoo().inputs("mlp", 3, 1), "resnet18",
        ZOO.zoo().inputs("resnet18", 1, 2));
    gpu.tell(infer("mlp", "mlp", inputs.get("mlp"), BUDGET, replies.ref()));
    gpu.tell(infer("resnet18", "resnet18", inputs.get("resnet18"), BUDGET, replies.ref()));
    for (int i = 0; i < 2; i++) {
      InferenceWire.Completed c = completed(replies);
      String model = c.requestId(); // each request is named after its model
      ZooFixture.assertClose(ZOO.zoo().alone(model, inputs.get(model)), c.outputs(), model);
    }

    TestProbe<GpuWire.PolicyReply> policy = kit.createTestProbe();
    gpu.tell(new GpuWire.SetPolicy("time-only", policy.ref()));
    GpuWire.PolicyReply set = policy.receiveMessage(WAIT);
    assertTrue(set.accepted(), set.message());
    assertEquals(GPU, set.gpu());
    gpu.tell(new GpuWire.SetPolicy("round-robin", policy.ref()));
    GpuWire.PolicyReply rejected = policy.receiveMessage(WAIT);
    assertFalse(rejected.accepted());
    assertTrue(rejected.message().contains("'round-robin'") && rejected.message().contains("space-time"),
        rejected.message());

    gpu.tell(infer("again", "mlp", inputs.get("mlp"), BUDGET, replies.ref()));
    ZooFixture.assertClose(ZOO.zoo().alone("mlp", inputs.get("mlp")), completed(replies).outputs(),
        "mlp under time-only");

    GpuWire.Report r = report(kit, gpu);
    assertEquals("time-only", r.policy());
    assertEquals(3, r.completed());
    assertEquals(Set.of("mlp", "resnet18"), r.models().keySet());
    assertTrue(r.allocatedBytes() > 0, r.toString());
    assertFalse(r.draining());
    assertEquals("cpu (2 threads)", r.device());
    assertTrue(r.models().values().stream().allMatch(m -> m.requestNanos() > 0), r.models().toString());
    assertEquals(0, r.predictedQueueNanos(), "nothing held");
    assertEquals(0, r.queueDepth(), "nothing held");

    TestProbe<GpuWire.Unloaded> unloaded = kit.createTestProbe();
    gpu.tell(new GpuWire.Unload("resnet18", unloaded.ref()));
    assertEquals(new GpuWire.Unloaded(GPU, "resnet18", true), unloaded.receiveMessage(WAIT));
    gpu.tell(infer("gone", "resnet18", inputs.get("resnet18"), BUDGET, replies.ref()));
    InferenceWire.Failed gone = failed(replies, FailureReason.UNKNOWN_MODEL);
    assertTrue(gone.message().contains("'resnet18'") && gone.message().contains("[mlp]"), gone.message());
    kit.stop(gpu);
  }

  @Test
  void inferOnAnUnknownModelNamesItAndTheLoadedOnes() {
    ActorRef<GpuWire.Command> gpu = spawn();
    load(kit, gpu, "mlp");
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("r-1", "vgg", ZOO.zoo().inputs("mlp", 1, 1), BUDGET, replies.ref()));
    assertEquals("model 'vgg' is not loaded; loaded models: [mlp]",
        failed(replies, FailureReason.UNKNOWN_MODEL).message());

    gpu.tell(infer("r-2", "mlp", ZOO.zoo().inputs("resnet18", 1, 1), BUDGET, replies.ref()));
    InferenceWire.Failed bad = failed(replies, FailureReason.INVALID_INPUT);
    assertEquals("r-2", bad.requestId());
    assertTrue(bad.message().startsWith("model 'mlp': input"), bad.message());
    kit.stop(gpu);
  }

  @Test
  void aModelThatCannotBindFailsToLoadWithItsOwnError() {
    RepositoryModel good = ZOO.zoo().models.get("mlp");
    ImportedModel im = good.latest();
    // the declared input loses a dimension: shape inference of the first layer must fail
    List<TensorSpec> inputs = new ArrayList<>();
    for (TensorSpec s : im.inputs()) {
      inputs.add(new TensorSpec(s.name(), s.dtype(), s.dims().subList(0, 1)));
    }
    ImportedModel broken = new ImportedModel(im.sourceName(), im.name(), im.opsetVersion(), im.producer(), inputs,
        im.outputs(), im.initializers(), im.nodes(), im.metadata());
    RepositoryModel bad = new RepositoryModel("broken", good.config(), new TreeMap<>(Map.of(1L, broken)));
    String expected;
    try {
      broken.bind(1);
      throw new AssertionError("the broken model binds");
    } catch (RuntimeException e) {
      expected = e.getMessage();
    }
    Map<String, RepositoryModel> models = new HashMap<>(ZOO.zoo().models);
    models.put("broken", bad);
    ActorRef<GpuWire.Command> gpu = spawn(models);
    assertEquals(new GpuWire.LoadFailed(GPU, "broken", expected), Gpus.loadFails(kit, gpu, "broken"));
    assertEquals(0, device.get().allocatedBytes(), "nothing of the failed model stays on the device");
    kit.stop(gpu);
  }

  @Test
  void drainFinishesWorkInFlightThenRefusesNewWork() {
    ActorRef<GpuWire.Command> gpu = spawn();
    load(kit, gpu, "resnet18");
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    TestProbe<GpuWire.Drained> drained = kit.createTestProbe();
    Map<String, Tensor> in = ZOO.zoo().inputs("resnet18", 2, 5);
    gpu.tell(infer("before", "resnet18", in, BUDGET, replies.ref()));
    gpu.tell(new GpuWire.Drain(drained.ref()));
    gpu.tell(infer("after", "resnet18", in, BUDGET, replies.ref()));

    InferenceWire.Failed refused = failed(replies, FailureReason.DRAINING);
    assertEquals("after", refused.requestId());
    assertEquals("gpu " + GPU + " is draining and takes no new work", refused.message());
    InferenceWire.Completed done = completed(replies);
    assertEquals("before", done.requestId());
    ZooFixture.assertClose(ZOO.zoo().alone("resnet18", in), done.outputs(), "in flight at drain");
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT));
    gpu.tell(new GpuWire.Drain(drained.ref()));
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT), "drained already: at once");

    Gpus.loadFails(kit, gpu, "mlp");
    GpuWire.Report r = report(kit, gpu);
    assertTrue(r.draining());
    assertEquals(1, r.completed());
    kit.stop(gpu);
  }
}
