package dev.braid.gpu.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cuda.CudaDevice;
import dev.braid.time.NanoClock;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
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

  private static InferenceWire.Infer infer(String id, long seed, ActorRef<InferenceWire.Reply> replyTo) {
    return new InferenceWire.Infer(id, "mlp", "", zoo.inputs("mlp", 1, seed), WAIT, 0, "t", replyTo);
  }

  @Test
  void anIllegalAddressFailsTheRequestsInFlightAndTheActorThenRefusesWorkExplicitly() throws Exception {
    ActorRef<GpuWire.Command> gpu = kit.spawn(GpuActor.create("pekko://braid@127.0.0.1:25520", 0,
        () -> CudaDevice.open(0), GpuSettings.defaults().withProfilingRuns(1), zoo.models::get, NanoClock.system()));
    TestProbe<GpuWire.LoadReply> load = kit.createTestProbe();
    gpu.tell(new GpuWire.Load("mlp", load.ref()));
    assertInstanceOf(GpuWire.Loaded.class, load.receiveMessage(WAIT));
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("before", 1, replies.ref()));
    assertInstanceOf(InferenceWire.Completed.class, replies.receiveMessage(WAIT), "before the fault");

    Files.writeString(faults, "launch=1:illegal_address");
    for (int i = 0; i < 3; i++) {
      gpu.tell(infer("r-" + i, 10 + i, replies.ref()));
    }
    for (int i = 0; i < 3; i++) {
      InferenceWire.Failed f = assertInstanceOf(InferenceWire.Failed.class, replies.receiveMessage(WAIT));
      // DEVICE_FAILED for the launch that failed (INTERNAL at the front door); DEVICE_UNHEALTHY for the rest.
      assertTrue(f.reason() == FailureReason.DEVICE_FAILED || f.reason() == FailureReason.DEVICE_UNHEALTHY, f.toString());
      assertTrue(f.message().contains("CUDA_ERROR_ILLEGAL_ADDRESS (700)"), f.message());
    }
    gpu.tell(infer("after", 99, replies.ref()));
    InferenceWire.Failed refused = assertInstanceOf(InferenceWire.Failed.class, replies.receiveMessage(WAIT));
    assertEquals(FailureReason.DEVICE_UNHEALTHY, refused.reason());
    assertTrue(refused.message().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), refused.message());

    TestProbe<GpuWire.Report> report = kit.createTestProbe();
    gpu.tell(new GpuWire.GetReport(report.ref()));
    GpuWire.Report r = report.receiveMessage(WAIT);
    assertFalse(r.healthy());
    assertTrue(r.unhealthyReason().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), r.unhealthyReason());
    kit.stop(gpu);
    Files.deleteIfExists(faults);
  }
}
