package dev.braid.gpu.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.InferError;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.model.Tensor;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.TensorSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPU actor on the CPU device. */
class GpuActorTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration BUDGET = Duration.ofSeconds(30);
  static final ActorTestKit kit = ActorTestKit.create();
  @TempDir
  static Path repo;
  static ZooFixture zoo;

  @BeforeAll
  static void models() {
    zoo = new ZooFixture(repo, "mlp", "resnet18");
  }

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
    zoo.close();
  }

  private final AtomicReference<CpuDevice> device = new AtomicReference<>();

  private ActorRef<GpuActor.Command> spawn() {
    return kit.spawn(GpuActor.create(() -> {
      device.set(new CpuDevice(2));
      return device.get();
    }, GpuSettings.defaults()));
  }

  private void load(ActorRef<GpuActor.Command> gpu, String name) {
    TestProbe<GpuActor.LoadReply> probe = kit.createTestProbe();
    gpu.tell(new GpuActor.LoadModel(name, zoo.models.get(name), probe.ref()));
    GpuActor.ModelLoaded loaded = assertInstanceOf(GpuActor.ModelLoaded.class, probe.receiveMessage(WAIT));
    assertEquals(name, loaded.name());
    assertTrue(loaded.weightsBytes() > 0);
    assertTrue(loaded.requestNanos() > 0, "the cost model prices a batch-1 request at load");
  }

  @Test
  void loadInferSetPolicyStatsAndUnload() {
    ActorRef<GpuActor.Command> gpu = spawn();
    load(gpu, "mlp");
    load(gpu, "resnet18");

    TestProbe<GpuActor.InferReply> replies = kit.createTestProbe();
    Map<String, Tensor> mlpIn = zoo.inputs("mlp", 3, 1);
    Map<String, Tensor> resIn = zoo.inputs("resnet18", 1, 2);
    gpu.tell(new GpuActor.Infer("mlp", mlpIn, BUDGET, 0, replies.ref()));
    gpu.tell(new GpuActor.Infer("resnet18", resIn, BUDGET, 0, replies.ref()));
    for (int i = 0; i < 2; i++) {
      GpuActor.InferCompleted c = assertInstanceOf(GpuActor.InferCompleted.class, replies.receiveMessage(WAIT));
      ZooFixture.assertClose(zoo.alone(c.model(), c.model().equals("mlp") ? mlpIn : resIn), c.outputs(), c.model());
    }

    TestProbe<GpuActor.PolicyReply> policy = kit.createTestProbe();
    gpu.tell(new GpuActor.SetPolicy("time-only", policy.ref()));
    assertEquals(new GpuActor.PolicySet("time-only"), policy.receiveMessage(WAIT));
    gpu.tell(new GpuActor.SetPolicy("round-robin", policy.ref()));
    GpuActor.PolicyRejected rejected = assertInstanceOf(GpuActor.PolicyRejected.class, policy.receiveMessage(WAIT));
    assertTrue(rejected.reason().contains("'round-robin'") && rejected.reason().contains("space-time"),
        rejected.reason());

    gpu.tell(new GpuActor.Infer("mlp", mlpIn, BUDGET, 0, replies.ref()));
    GpuActor.InferCompleted again = assertInstanceOf(GpuActor.InferCompleted.class, replies.receiveMessage(WAIT));
    ZooFixture.assertClose(zoo.alone("mlp", mlpIn), again.outputs(), "mlp under time-only");

    TestProbe<GpuActor.Stats> stats = kit.createTestProbe();
    gpu.tell(new GpuActor.GetStats(stats.ref()));
    GpuActor.Stats s = stats.receiveMessage(WAIT);
    assertEquals("time-only", s.engine().policy());
    assertEquals(3, s.engine().requestsCompleted());
    assertEquals(List.of("mlp", "resnet18"), s.engine().models());
    assertTrue(s.engine().launches() > 0);
    assertFalse(s.draining());
    assertEquals("cpu (2 threads)", s.device().name());
    assertEquals(s.engine().models(), List.copyOf(s.requestNanos().keySet()));
    assertTrue(s.requestNanos().values().stream().allMatch(n -> n > 0), s.requestNanos().toString());
    assertEquals(0, s.predictedQueueNanos(), "nothing held");

    TestProbe<GpuActor.ModelUnloaded> unloaded = kit.createTestProbe();
    gpu.tell(new GpuActor.UnloadModel("resnet18", unloaded.ref()));
    assertEquals(new GpuActor.ModelUnloaded("resnet18", true, 0), unloaded.receiveMessage(WAIT));
    gpu.tell(new GpuActor.Infer("resnet18", resIn, BUDGET, 0, replies.ref()));
    GpuActor.InferFailed gone = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
    assertEquals(InferError.UNKNOWN_MODEL, gone.reason());
    assertTrue(gone.message().contains("'resnet18'") && gone.message().contains("[mlp]"), gone.message());
    kit.stop(gpu);
  }

  @Test
  void inferOnAnUnknownModelNamesItAndTheLoadedOnes() {
    ActorRef<GpuActor.Command> gpu = spawn();
    load(gpu, "mlp");
    TestProbe<GpuActor.InferReply> replies = kit.createTestProbe();
    gpu.tell(new GpuActor.Infer("vgg", zoo.inputs("mlp", 1, 1), BUDGET, 0, replies.ref()));
    GpuActor.InferFailed f = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
    assertEquals(InferError.UNKNOWN_MODEL, f.reason());
    assertEquals("model 'vgg' is not loaded; loaded models: [mlp]", f.message());

    gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("resnet18", 1, 1), BUDGET, 0, replies.ref()));
    GpuActor.InferFailed bad = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
    assertEquals(InferError.INVALID_INPUT, bad.reason());
    assertTrue(bad.message().startsWith("model 'mlp': input"), bad.message());
    kit.stop(gpu);
  }

  @Test
  void aModelThatCannotBindFailsToLoadWithItsOwnError() {
    ActorRef<GpuActor.Command> gpu = spawn();
    RepositoryModel good = zoo.models.get("mlp");
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
    TestProbe<GpuActor.LoadReply> probe = kit.createTestProbe();
    gpu.tell(new GpuActor.LoadModel("broken", bad, probe.ref()));
    assertEquals(new GpuActor.LoadFailed("broken", expected), probe.receiveMessage(WAIT));
    assertEquals(0, device.get().allocatedBytes(), "nothing of the failed model stays on the device");
    kit.stop(gpu);
  }

  @Test
  void drainFinishesWorkInFlightThenRefusesNewWork() {
    ActorRef<GpuActor.Command> gpu = spawn();
    load(gpu, "resnet18");
    TestProbe<GpuActor.InferReply> replies = kit.createTestProbe();
    TestProbe<GpuActor.Drained> drained = kit.createTestProbe();
    Map<String, Tensor> in = zoo.inputs("resnet18", 2, 5);
    gpu.tell(new GpuActor.Infer("resnet18", in, BUDGET, 0, replies.ref()));
    gpu.tell(new GpuActor.Drain(drained.ref()));
    gpu.tell(new GpuActor.Infer("resnet18", in, BUDGET, 0, replies.ref()));

    GpuActor.InferFailed refused = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
    assertEquals(InferError.DRAINING, refused.reason());
    GpuActor.InferCompleted done = assertInstanceOf(GpuActor.InferCompleted.class, replies.receiveMessage(WAIT));
    ZooFixture.assertClose(zoo.alone("resnet18", in), done.outputs(), "in flight at drain");
    drained.expectMessage(WAIT, GpuActor.Drained.INSTANCE);

    TestProbe<GpuActor.LoadReply> load = kit.createTestProbe();
    gpu.tell(new GpuActor.LoadModel("mlp", zoo.models.get("mlp"), load.ref()));
    assertInstanceOf(GpuActor.LoadFailed.class, load.receiveMessage(WAIT));
    TestProbe<GpuActor.Stats> stats = kit.createTestProbe();
    gpu.tell(new GpuActor.GetStats(stats.ref()));
    GpuActor.Stats s = stats.receiveMessage(WAIT);
    assertTrue(s.draining());
    assertEquals(1, s.engine().requestsCompleted());
    kit.stop(gpu);
  }
}
