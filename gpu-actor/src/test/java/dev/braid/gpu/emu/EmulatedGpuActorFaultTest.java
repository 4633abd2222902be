package dev.braid.gpu.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cuda.CudaDevice;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.InferError;
import dev.braid.gpu.engine.ZooFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device fault through the GPU actor on the emulated CUDA driver: the driver fails a kernel
 * with a sticky CUDA_ERROR_ILLEGAL_ADDRESS (armed through BRAID_CUDA_EMU_FAULTS_FILE after the
 * model loaded), as a real GPU would report a bad memory access. The requests in flight fail
 * naming the error, the actor turns unhealthy and answers every later request at once with an
 * explicit DEVICE_UNHEALTHY; its stats say why.
 */
class EmulatedGpuActorFaultTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final ActorTestKit kit = ActorTestKit.create();
  @TempDir static Path repo;
  static ZooFixture zoo;
  static Path faults;

  @BeforeAll
  static void models() {
    EmulatorGate.require();
    String file = System.getenv("BRAID_CUDA_EMU_FAULTS_FILE");
    Assumptions.assumeTrue(file != null, "BRAID_CUDA_EMU_FAULTS_FILE is not set (gpu-actor/pom.xml's cuda-emulator execution sets it)");
    faults = Path.of(file);
    zoo = new ZooFixture(repo, "mlp");
  }

  @AfterAll
  static void close() throws Exception {
    kit.shutdownTestKit();
    if (zoo != null) {
      zoo.close();
    }
    if (faults != null) {
      Files.deleteIfExists(faults);
    }
  }

  @Test
  void anIllegalAddressFailsTheRequestsInFlightAndTheActorThenRefusesWorkExplicitly() throws Exception {
    ActorRef<GpuActor.Command> gpu = kit.spawn(GpuActor.create(() -> CudaDevice.open(0),
        GpuSettings.defaults().withProfilingRuns(1)));
    TestProbe<GpuActor.LoadReply> load = kit.createTestProbe();
    gpu.tell(new GpuActor.LoadModel("mlp", zoo.models.get("mlp"), load.ref()));
    assertInstanceOf(GpuActor.ModelLoaded.class, load.receiveMessage(WAIT));
    TestProbe<GpuActor.InferReply> replies = kit.createTestProbe();
    gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, 1), WAIT, 0, replies.ref()));
    assertInstanceOf(GpuActor.InferCompleted.class, replies.receiveMessage(WAIT), "before the fault");

    Files.writeString(faults, "launch=1:illegal_address");
    for (int i = 0; i < 3; i++) {
      gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, 10 + i), WAIT, 0, replies.ref()));
    }
    for (int i = 0; i < 3; i++) {
      GpuActor.InferFailed f = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
      assertTrue(f.reason() == InferError.DEVICE_FAILED || f.reason() == InferError.DEVICE_UNHEALTHY, f.toString());
      assertTrue(f.message().contains("CUDA_ERROR_ILLEGAL_ADDRESS (700)"), f.message());
    }
    gpu.tell(new GpuActor.Infer("mlp", zoo.inputs("mlp", 1, 99), WAIT, 0, replies.ref()));
    GpuActor.InferFailed refused = assertInstanceOf(GpuActor.InferFailed.class, replies.receiveMessage(WAIT));
    assertEquals(InferError.DEVICE_UNHEALTHY, refused.reason());
    assertTrue(refused.message().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), refused.message());

    TestProbe<GpuActor.Stats> stats = kit.createTestProbe();
    gpu.tell(new GpuActor.GetStats(stats.ref()));
    GpuActor.Stats s = stats.receiveMessage(WAIT);
    assertFalse(s.healthy());
    assertTrue(s.engine().unhealthyReason().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), s.engine().unhealthyReason());
    kit.stop(gpu);
    Files.deleteIfExists(faults);
  }
}
