package dev.braid.gpu.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.Conv2d;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.FaultingDevice;
import dev.braid.gpu.engine.InferError;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.model.Tensor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One model that faults at run time beside a good one on one GPU actor (the CPU device): the good
 * one keeps serving through the broken one's failures, every request is answered (the broken one's
 * with an explicit error), and the restarts a fault that escapes the engine causes are counted.
 * The broken model is the zoo's resnet18, whose convolutions fault once armed (after it loaded);
 * the good one is the mlp, which has none.
 */
class GpuActorSupervisionTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final Duration BUDGET = Duration.ofSeconds(60);
  static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString(
      "braid.gpu.supervision { min-backoff = 10ms, max-backoff = 100ms }").withFallback(ConfigFactory.load()));
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

  private static ActorRef<GpuActor.Command> spawnWithBoth(FaultingDevice.Fault fault) {
    ActorRef<GpuActor.Command> gpu = kit.spawn(GpuActor.create(() -> new FaultingDevice(new CpuDevice(2), fault),
        GpuSettings.defaults()));
    TestProbe<GpuActor.LoadReply> probe = kit.createTestProbe();
    for (String m : zoo.models.keySet()) {
      gpu.tell(new GpuActor.LoadModel(m, zoo.models.get(m), probe.ref()));
      assertInstanceOf(GpuActor.ModelLoaded.class, probe.receiveMessage(WAIT), m);
    }
    return gpu;
  }

  private static GpuActor.Stats stats(ActorRef<GpuActor.Command> gpu) {
    TestProbe<GpuActor.Stats> probe = kit.createTestProbe();
    gpu.tell(new GpuActor.GetStats(probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  private static void goodOneServes(ActorRef<GpuActor.Command> gpu, TestProbe<GpuActor.InferReply> replies, long seed) {
    Map<String, Tensor> in = zoo.inputs("mlp", 2, seed);
    gpu.tell(new GpuActor.Infer("mlp", in, BUDGET, 0, seed, replies.ref()));
    GpuActor.InferReply r = replies.receiveMessage(WAIT);
    GpuActor.InferCompleted done = assertInstanceOf(GpuActor.InferCompleted.class, r, r.toString());
    ZooFixture.assertClose(zoo.alone("mlp", in), done.outputs(), "mlp request " + seed);
  }

  @Test
  void aModelWhoseOutputsCannotBeFetchedIsRefusedAtLoadWithTheReason() {
    FaultingDevice.Fault fault = new FaultingDevice.Fault(k -> false);
    fault.armDownloads(() -> new IllegalStateException("injected fault of a download"));
    ActorRef<GpuActor.Command> gpu = kit.spawn(GpuActor.create(() -> new FaultingDevice(new CpuDevice(2), fault),
        GpuSettings.defaults()));
    TestProbe<GpuActor.LoadReply> probe = kit.createTestProbe();
    gpu.tell(new GpuActor.LoadModel("mlp", zoo.models.get("mlp"), probe.ref()));
    GpuActor.LoadFailed f = assertInstanceOf(GpuActor.LoadFailed.class, probe.receiveMessage(WAIT));
    assertTrue(f.reason().contains("model 'mlp': profiling failed: injected fault of a download"), f.reason());
    fault.armDownloads(null);
    gpu.tell(new GpuActor.LoadModel("mlp", zoo.models.get("mlp"), probe.ref()));
    assertInstanceOf(GpuActor.ModelLoaded.class, probe.receiveMessage(WAIT), "refused, not left half-loaded");
    assertEquals(0, stats(gpu).restarts());
    kit.stop(gpu);
  }

  @Test
  void aModelWhoseKernelsThrowFailsOnlyItsOwnRequestsWithoutARestart() {
    FaultingDevice.Fault fault = new FaultingDevice.Fault(k -> k instanceof Conv2d);
    ActorRef<GpuActor.Command> gpu = spawnWithBoth(fault);
    fault.arm(() -> new IllegalStateException("injected fault of a convolution"));
    TestProbe<GpuActor.InferReply> replies = kit.createTestProbe();
    Map<Long, String> sent = new HashMap<>();
    for (long i = 0; i < 8; i++) {
      String model = i % 2 == 0 ? "resnet18" : "mlp";
      gpu.tell(new GpuActor.Infer(model, zoo.inputs(model, 1, i), BUDGET, 0, i, replies.ref()));
      sent.put(i, model);
    }
    for (int n = 0; n < 8; n++) {
      GpuActor.InferReply r = replies.receiveMessage(WAIT);
      String model = sent.remove(r.tag());
      if (model.equals("mlp")) {
        assertInstanceOf(GpuActor.InferCompleted.class, r, "the good model is untouched: " + r);
      } else {
        GpuActor.InferFailed f = assertInstanceOf(GpuActor.InferFailed.class, r, r.toString());
        assertEquals(InferError.DEVICE_FAILED, f.reason(), f.message());
        assertTrue(f.message().contains("resnet18") && f.message().contains("injected fault of a convolution"),
            f.message());
      }
    }
    assertTrue(sent.isEmpty(), "every request answered once: " + sent);
    goodOneServes(gpu, replies, 100);
    GpuActor.Stats s = stats(gpu);
    assertEquals(0, s.restarts(), "a fault pinned on its requests restarts nothing");
    assertTrue(s.healthy());
    kit.stop(gpu);
  }

  @Test
  void aFaultThatEscapesTheEngineRestartsTheActorWhichReloadsTheGoodModelAndDropsTheBrokenOne() {
    FaultingDevice.Fault fault = new FaultingDevice.Fault(k -> k instanceof Conv2d);
    ActorRef<GpuActor.Command> gpu = spawnWithBoth(fault);
    TestProbe<GpuActor.InferReply> replies = kit.createTestProbe();
    goodOneServes(gpu, replies, 1);
    fault.armError(() -> new AssertionError("injected assertion in a convolution's launch"));

    // Requests of both models in flight when the broken one's kernel takes the actor down: every
    // one is answered, the good model's either with its outputs or with the explicit error.
    Map<Long, String> sent = new HashMap<>();
    for (long i = 10; i < 16; i++) {
      String model = i % 3 == 0 ? "resnet18" : "mlp";
      gpu.tell(new GpuActor.Infer(model, zoo.inputs(model, 1, i), BUDGET, 0, i, replies.ref()));
      sent.put(i, model);
    }
    for (int n = 0; n < 6; n++) {
      GpuActor.InferReply r = replies.receiveMessage(WAIT);
      String model = sent.remove(r.tag());
      if (r instanceof GpuActor.InferFailed f) {
        assertEquals(InferError.INTERNAL, f.reason(), f.message());
        assertTrue(f.message().contains("model '" + model + "'") && f.message().contains("AssertionError"),
            f.message());
      } else {
        assertEquals("mlp", model, "the broken model never answers outputs: " + r);
      }
    }
    assertTrue(sent.isEmpty(), "every request answered once: " + sent);

    // Restarted: the good model serves again (reloaded); the broken one, which took the actor down
    // again while it reloaded, is dropped, and its requests get that reason at once.
    for (long seed = 20; seed < 23; seed++) {
      goodOneServes(gpu, replies, seed);
      gpu.tell(new GpuActor.Infer("resnet18", zoo.inputs("resnet18", 1, seed), BUDGET, 0, seed, replies.ref()));
      GpuActor.InferFailed f = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
      assertEquals(InferError.INTERNAL, f.reason(), f.message());
      assertTrue(f.message().contains("model 'resnet18' is not served: the GPU actor failed while reloading it"),
          f.message());
    }
    GpuActor.Stats s = stats(gpu);
    assertEquals(2, s.restarts(), "one restart for the request's fault, one for the reload's");
    assertEquals(2, fault.thrown());
    assertEquals(java.util.List.of("mlp"), s.engine().models());
    assertTrue(s.healthy());

    // Loading the broken model again is allowed (the operator mended it): here the fault is off.
    TestProbe<GpuActor.LoadReply> load = kit.createTestProbe();
    fault.armError(null);
    gpu.tell(new GpuActor.LoadModel("resnet18", zoo.models.get("resnet18"), load.ref()));
    assertInstanceOf(GpuActor.ModelLoaded.class, load.receiveMessage(WAIT));
    Map<String, Tensor> in = zoo.inputs("resnet18", 1, 30);
    gpu.tell(new GpuActor.Infer("resnet18", in, BUDGET, 0, 30, replies.ref()));
    ZooFixture.assertClose(zoo.alone("resnet18", in),
        assertInstanceOf(GpuActor.InferCompleted.class, replies.receiveMessage(WAIT)).outputs(), "resnet18");
    kit.stop(gpu);
  }
}
