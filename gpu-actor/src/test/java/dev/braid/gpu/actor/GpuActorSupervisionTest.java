package dev.braid.gpu.actor;

import static dev.braid.gpu.actor.Gpus.WAIT;
import static dev.braid.gpu.actor.Gpus.failed;
import static dev.braid.gpu.actor.Gpus.infer;
import static dev.braid.gpu.actor.Gpus.load;
import static dev.braid.gpu.actor.Gpus.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.Conv2d;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.FaultingDevice;
import dev.braid.gpu.engine.ZooExtension;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One model that faults at run time beside a good one on one GPU actor (the CPU device): the good
 * one keeps serving through the broken one's failures, every request is answered (the broken one's
 * with an explicit error), and the restarts a fault that escapes the engine causes are counted.
 * The broken model is the zoo's resnet18, whose convolutions fault once armed (after it loaded);
 * the good one is the mlp, which has none.
 */
class GpuActorSupervisionTest {
  static final Duration BUDGET = Duration.ofSeconds(60);
  static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString(
      "braid.gpu.supervision { min-backoff = 10ms, max-backoff = 100ms }").withFallback(ConfigFactory.load()));
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp", "resnet18");

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  private static ActorRef<GpuWire.Command> spawn(FaultingDevice.Fault fault) {
    return Gpus.spawn(kit, () -> new FaultingDevice(new CpuDevice(2), fault), GpuSettings.defaults(), ZOO.zoo().models);
  }

  private static ActorRef<GpuWire.Command> spawnWithBoth(FaultingDevice.Fault fault) {
    ActorRef<GpuWire.Command> gpu = spawn(fault);
    for (String m : ZOO.zoo().models.keySet()) {
      load(kit, gpu, m);
    }
    return gpu;
  }

  private static void goodOneServes(ActorRef<GpuWire.Command> gpu, TestProbe<InferenceWire.Reply> replies, long seed) {
    Map<String, Tensor> in = ZOO.zoo().inputs("mlp", 2, seed);
    gpu.tell(infer(Long.toString(seed), "mlp", in, BUDGET, replies.ref()));
    InferenceWire.Completed done = Gpus.completed(replies);
    assertEquals(Long.toString(seed), done.requestId());
    ZooFixture.assertClose(ZOO.zoo().alone("mlp", in), done.outputs(), "mlp request " + seed);
  }

  @Test
  void aModelWhoseOutputsCannotBeFetchedIsRefusedAtLoadWithTheReason() {
    FaultingDevice.Fault fault = new FaultingDevice.Fault(k -> false);
    fault.armDownloads(() -> new IllegalStateException("injected fault of a download"));
    ActorRef<GpuWire.Command> gpu = spawn(fault);
    GpuWire.LoadFailed f = Gpus.loadFails(kit, gpu, "mlp");
    assertTrue(f.reason().contains("model 'mlp': profiling failed: injected fault of a download"), f.reason());
    fault.armDownloads(null);
    load(kit, gpu, "mlp"); // refused, not left half-loaded
    assertEquals(0, report(kit, gpu).restarts());
    kit.stop(gpu);
  }

  @Test
  void aModelWhoseKernelsThrowFailsOnlyItsOwnRequestsWithoutARestart() {
    FaultingDevice.Fault fault = new FaultingDevice.Fault(k -> k instanceof Conv2d);
    ActorRef<GpuWire.Command> gpu = spawnWithBoth(fault);
    fault.arm(() -> new IllegalStateException("injected fault of a convolution"));
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, String> sent = new HashMap<>();
    for (long i = 0; i < 8; i++) {
      String model = i % 2 == 0 ? "resnet18" : "mlp";
      gpu.tell(infer(Long.toString(i), model, ZOO.zoo().inputs(model, 1, i), BUDGET, replies.ref()));
      sent.put(Long.toString(i), model);
    }
    for (int n = 0; n < 8; n++) {
      InferenceWire.Reply r = replies.receiveMessage(WAIT);
      String model = sent.remove(r.requestId());
      if (model.equals("mlp")) {
        assertInstanceOf(InferenceWire.Completed.class, r, "the good model is untouched: " + r);
      } else {
        InferenceWire.Failed f = assertInstanceOf(InferenceWire.Failed.class, r, r.toString());
        assertEquals(FailureReason.DEVICE_FAILED, f.reason(), f.message());
        assertTrue(f.message().contains("resnet18") && f.message().contains("injected fault of a convolution"),
            f.message());
      }
    }
    assertTrue(sent.isEmpty(), "every request answered once: " + sent);
    goodOneServes(gpu, replies, 100);
    GpuWire.Report r = report(kit, gpu);
    assertEquals(0, r.restarts(), "a fault pinned on its requests restarts nothing");
    assertTrue(r.healthy());
    kit.stop(gpu);
  }

  @Test
  void aFaultThatEscapesTheEngineRestartsTheActorWhichReloadsTheGoodModelAndDropsTheBrokenOne() {
    FaultingDevice.Fault fault = new FaultingDevice.Fault(k -> k instanceof Conv2d);
    ActorRef<GpuWire.Command> gpu = spawnWithBoth(fault);
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    goodOneServes(gpu, replies, 1);
    fault.armError(() -> new AssertionError("injected assertion in a convolution's launch"));

    // Requests of both models in flight when the broken one's kernel takes the actor down: every
    // one is answered, the good model's either with its outputs or with the explicit error.
    Map<String, String> sent = new HashMap<>();
    for (long i = 10; i < 16; i++) {
      String model = i % 3 == 0 ? "resnet18" : "mlp";
      gpu.tell(infer(Long.toString(i), model, ZOO.zoo().inputs(model, 1, i), BUDGET, replies.ref()));
      sent.put(Long.toString(i), model);
    }
    for (int n = 0; n < 6; n++) {
      InferenceWire.Reply r = replies.receiveMessage(WAIT);
      String model = sent.remove(r.requestId());
      if (r instanceof InferenceWire.Failed f) {
        assertEquals(FailureReason.INTERNAL, f.reason(), f.message());
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
      gpu.tell(infer("broken-" + seed, "resnet18", ZOO.zoo().inputs("resnet18", 1, seed), BUDGET, replies.ref()));
      InferenceWire.Failed f = failed(replies, FailureReason.INTERNAL);
      assertTrue(f.message().contains("model 'resnet18' is not served: the GPU actor failed while reloading it"),
          f.message());
    }
    GpuWire.Report r = report(kit, gpu);
    assertEquals(2, r.restarts(), "one restart for the request's fault, one for the reload's");
    assertEquals(2, fault.thrown());
    assertTrue(r.healthy());

    // Loading the broken model again is allowed (the operator mended it): here the fault is off.
    fault.armError(null);
    load(kit, gpu, "resnet18");
    Map<String, Tensor> in = ZOO.zoo().inputs("resnet18", 1, 30);
    gpu.tell(infer("mended", "resnet18", in, BUDGET, replies.ref()));
    ZooFixture.assertClose(ZOO.zoo().alone("resnet18", in), Gpus.completed(replies).outputs(), "resnet18");
    kit.stop(gpu);
  }
}
