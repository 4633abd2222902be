package dev.braid.gpu.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceException;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.FailingDevice;
import dev.braid.gpu.engine.InferError;
import dev.braid.gpu.engine.ZooFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPU actor over a device that fails a launch: it goes unhealthy, or keeps serving. */
class GpuActorHealthTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final Duration BUDGET = Duration.ofSeconds(30);
  static final ActorTestKit kit = ActorTestKit.create();
  @TempDir
  static Path repo;
  static ZooFixture zoo;

  @BeforeAll
  static void models() {
    zoo = new ZooFixture(repo, "mlp");
  }

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
    zoo.close();
  }

  private final AtomicReference<FailingDevice> device = new AtomicReference<>();

  private ActorRef<GpuActor.Command> spawnWithMlp() {
    ActorRef<GpuActor.Command> gpu = kit.spawn(GpuActor.create(() -> {
      device.set(new FailingDevice(new CpuDevice(2)));
      return device.get();
    }, GpuSettings.defaults()));
    TestProbe<GpuActor.LoadReply> probe = kit.createTestProbe();
    gpu.tell(new GpuActor.LoadModel("mlp", zoo.models.get("mlp"), probe.ref()));
    assertInstanceOf(GpuActor.ModelLoaded.class, probe.receiveMessage(WAIT));
    return gpu;
  }

  private static void assertNamesKernelAndCode(String message) {
    assertTrue(message.contains("braid_gemm_f32") && message.contains("CUDA_ERROR_ILLEGAL_ADDRESS (700)"), message);
  }

  @Test
  void stickyFailureMakesTheActorRefuseWorkAtOnceWhileAnsweringStatsDrainAndUnload() throws Exception {
    ActorRef<GpuActor.Command> gpu = spawnWithMlp();
    device.get().arm(1, FailingDevice.illegalAddress(), true, true);
    TestProbe<GpuActor.InferReply> replies = kit.createTestProbe();
    for (int i = 0; i < 3; i++) {
      gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, i), BUDGET, 0, replies.ref()));
    }
    assertTrue(device.get().awaitHeld(30), "the failing launch was issued");
    for (int i = 0; i < 5; i++) {
      gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, 10 + i), BUDGET, 0, replies.ref()));
    }
    device.get().fire();
    for (int i = 0; i < 8; i++) {
      GpuActor.InferFailed f = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
      assertTrue(f.reason() == InferError.DEVICE_FAILED || f.reason() == InferError.DEVICE_UNHEALTHY, f.toString());
      assertNamesKernelAndCode(f.message());
    }
    replies.expectNoMessage(Duration.ofMillis(200));

    gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, 99), BUDGET, 0, replies.ref()));
    GpuActor.InferFailed refused = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
    assertEquals(InferError.DEVICE_UNHEALTHY, refused.reason());
    assertNamesKernelAndCode(refused.message());
    TestProbe<GpuActor.LoadReply> load = kit.createTestProbe();
    gpu.tell(new GpuActor.LoadModel("mlp2", zoo.models.get("mlp"), load.ref()));
    assertNamesKernelAndCode(assertInstanceOf(GpuActor.LoadFailed.class, load.receiveMessage(WAIT)).reason());

    TestProbe<GpuActor.Stats> stats = kit.createTestProbe();
    gpu.tell(new GpuActor.GetStats(stats.ref()));
    GpuActor.Stats s = stats.receiveMessage(WAIT);
    assertFalse(s.healthy());
    assertFalse(s.engine().healthy());
    assertNamesKernelAndCode(s.engine().unhealthyReason());
    // The eight the engine held; the actor refused the ninth itself, without the engine.
    assertEquals(8, s.engine().requestsFailed());
    assertEquals(8, s.engine().requestsSubmitted());

    TestProbe<GpuActor.Drained> drained = kit.createTestProbe();
    gpu.tell(new GpuActor.Drain(drained.ref()));
    drained.receiveMessage(WAIT);
    TestProbe<GpuActor.ModelUnloaded> unloaded = kit.createTestProbe();
    gpu.tell(new GpuActor.UnloadModel("mlp", unloaded.ref()));
    assertTrue(unloaded.receiveMessage(WAIT).wasLoaded());
    gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, 98), BUDGET, 0, replies.ref()));
    assertEquals(InferError.DEVICE_UNHEALTHY,
        assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT)).reason(),
        "still unhealthy after a drain");
    kit.stop(gpu);
  }

  @Test
  void transientOutOfMemoryFailsOnlyThatRequestAndTheActorKeepsServing() {
    ActorRef<GpuActor.Command> gpu = spawnWithMlp();
    device.get().arm(0, new DeviceException(DeviceException.Reason.OUT_OF_MEMORY, "braid_gemm_f32: out of memory"),
        false, false);
    TestProbe<GpuActor.InferReply> replies = kit.createTestProbe();
    gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, 0), BUDGET, 0, replies.ref()));
    GpuActor.InferFailed f = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
    assertEquals(InferError.OUT_OF_MEMORY, f.reason(), f.message());
    gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, 1), BUDGET, 0, replies.ref()));
    assertInstanceOf(GpuActor.InferCompleted.class, replies.receiveMessage(WAIT));
    TestProbe<GpuActor.Stats> stats = kit.createTestProbe();
    gpu.tell(new GpuActor.GetStats(stats.ref()));
    assertTrue(stats.receiveMessage(WAIT).healthy());
    kit.stop(gpu);
  }
}
