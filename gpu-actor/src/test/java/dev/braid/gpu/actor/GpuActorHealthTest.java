package dev.braid.gpu.actor;

import static dev.braid.gpu.actor.Gpus.failed;
import static dev.braid.gpu.actor.Gpus.infer;
import static dev.braid.gpu.actor.Gpus.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceException;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.FailingDevice;
import dev.braid.gpu.engine.ZooExtension;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The GPU actor over a device that fails a launch: it goes unhealthy, or keeps serving. */
class GpuActorHealthTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration BUDGET = Duration.ofSeconds(30);
  static final ActorTestKit kit = ActorTestKit.create();
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp");

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  private final AtomicReference<FailingDevice> device = new AtomicReference<>();

  private ActorRef<GpuWire.Command> spawnWithMlp() {
    ActorRef<GpuWire.Command> gpu = Gpus.spawn(kit, () -> {
      device.set(new FailingDevice(new CpuDevice(2)));
      return device.get();
    }, GpuSettings.defaults(), Map.of("mlp", ZOO.zoo().models.get("mlp"), "mlp2", ZOO.zoo().models.get("mlp")));
    Gpus.load(kit, gpu, "mlp");
    return gpu;
  }

  private static void assertNamesKernelAndCode(String message) {
    assertTrue(message.contains("braid_gemm_f32") && message.contains("CUDA_ERROR_ILLEGAL_ADDRESS (700)"), message);
  }

  @Test
  void stickyFailureMakesTheActorRefuseWorkAtOnceWhileAnsweringReportsDrainAndUnload() throws Exception {
    ActorRef<GpuWire.Command> gpu = spawnWithMlp();
    device.get().arm(1, FailingDevice.illegalAddress(), true, true);
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    for (int i = 0; i < 3; i++) {
      gpu.tell(infer("r-" + i, "mlp", ZOO.zoo().inputs("mlp", 1, i), BUDGET, replies.ref()));
    }
    assertTrue(device.get().awaitHeld(30), "the failing launch was issued");
    for (int i = 0; i < 5; i++) {
      gpu.tell(infer("r-" + (10 + i), "mlp", ZOO.zoo().inputs("mlp", 1, 10 + i), BUDGET, replies.ref()));
    }
    device.get().fire();
    for (int i = 0; i < 8; i++) {
      InferenceWire.Failed f = assertInstanceOf(InferenceWire.Failed.class, replies.receiveMessage(WAIT));
      // DEVICE_FAILED for the launch that failed (INTERNAL at the front door); DEVICE_UNHEALTHY for the rest.
      assertTrue(f.reason() == FailureReason.DEVICE_FAILED || f.reason() == FailureReason.DEVICE_UNHEALTHY, f.toString());
      assertNamesKernelAndCode(f.message());
    }
    replies.expectNoMessage(Duration.ofMillis(200));
    GpuWire.Report held = report(kit, gpu);
    assertEquals(8, held.failed(), "the eight the engine held");
    assertEquals(0, held.queueDepth());

    gpu.tell(infer("r-99", "mlp", ZOO.zoo().inputs("mlp", 1, 99), BUDGET, replies.ref()));
    assertNamesKernelAndCode(failed(replies, FailureReason.DEVICE_UNHEALTHY).message());
    assertNamesKernelAndCode(Gpus.loadFails(kit, gpu, "mlp2").reason());

    GpuWire.Report r = report(kit, gpu);
    assertFalse(r.healthy());
    assertNamesKernelAndCode(r.unhealthyReason());
    assertEquals(9, r.failed(), "the ninth refused at once");

    TestProbe<GpuWire.Drained> drained = kit.createTestProbe();
    gpu.tell(new GpuWire.Drain(drained.ref()));
    drained.receiveMessage(WAIT);
    TestProbe<GpuWire.Unloaded> unloaded = kit.createTestProbe();
    gpu.tell(new GpuWire.Unload("mlp", unloaded.ref()));
    assertTrue(unloaded.receiveMessage(WAIT).wasLoaded());
    gpu.tell(infer("r-98", "mlp", ZOO.zoo().inputs("mlp", 1, 98), BUDGET, replies.ref()));
    assertTrue(assertInstanceOf(InferenceWire.Failed.class, replies.receiveMessage(WAIT)).reason().retriesElsewhere(),
        "draining or unhealthy: another GPU may serve it");
    assertFalse(report(kit, gpu).healthy(), "still unhealthy after a drain");
    kit.stop(gpu);
  }

  @Test
  void transientOutOfMemoryFailsOnlyThatRequestAndTheActorKeepsServing() {
    ActorRef<GpuWire.Command> gpu = spawnWithMlp();
    device.get().arm(0, new DeviceException(DeviceException.Reason.OUT_OF_MEMORY, "braid_gemm_f32: out of memory"),
        false, false);
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("r-0", "mlp", ZOO.zoo().inputs("mlp", 1, 0), BUDGET, replies.ref()));
    failed(replies, FailureReason.OUT_OF_MEMORY);
    gpu.tell(infer("r-1", "mlp", ZOO.zoo().inputs("mlp", 1, 1), BUDGET, replies.ref()));
    Gpus.completed(replies);
    assertTrue(report(kit, gpu).healthy());
    kit.stop(gpu);
  }
}
