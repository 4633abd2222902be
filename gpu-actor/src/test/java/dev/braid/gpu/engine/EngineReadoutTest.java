package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.ForwardingDevice;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.protocol.cluster.FailureReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the engine reports of itself ({@link EngineReadout}) and how an unload empties a model's
 * queue ({@link ModelTable#unload}, {@link Answers#failQueued}), on a simulated H100 in virtual time.
 */
class EngineReadoutTest {
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp");

  private final SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100, SimulatedDevice.Compute.REAL);

  private GpuEngine engineWithMlp(SimulatedDevice device) {
    GpuEngine engine = GpuEngine.onSimulator(device, GpuSettings.defaults());
    List<LoadResult> loaded = new ArrayList<>();
    engine.load("mlp", ZOO.zoo().models.get("mlp"), loaded::add);
    assertInstanceOf(LoadResult.Loaded.class, loaded.get(0));
    return engine;
  }

  @Test
  void statsCountWhatWasSubmittedAndWhatIsQueuedPerModelAtTheEnginesClock() {
    GpuEngine engine = engineWithMlp(sim);
    List<InferResult> answers = new ArrayList<>();
    engine.submit(new InferRequest("mlp", ZOO.zoo().inputs("mlp", 1, 1), Long.MAX_VALUE, 0, answers::add));
    engine.submit(new InferRequest("nope", ZOO.zoo().inputs("mlp", 1, 1), Long.MAX_VALUE, 0, answers::add));
    EngineStats stats = engine.stats();
    assertEquals(List.of("mlp"), stats.models());
    assertEquals(2, stats.requestsSubmitted());
    assertEquals(1, stats.requestsFailed());
    assertEquals(Map.of(FailureReason.UNKNOWN_MODEL, 1L), stats.failuresByReason());
    assertEquals(sim.clock().nanoTime(), stats.nowNanos());
    assertEquals(sim.allocatedBytes(), stats.allocatedBytes());
    assertTrue(stats.healthy());
    assertEquals(engine.policy(), stats.policy());
    assertEquals(Map.of(), engine.specializations(), "mlp does not specialize");
    assertEquals("model 'nope' is not loaded; loaded models: [mlp]",
        ((InferResult.Failed) answers.get(0)).message());
  }

  @Test
  void anUnloadAnswersTheQueuedRequestsUnloadedAndCountsThem() {
    GpuEngine engine = engineWithMlp(sim);
    List<InferResult> answers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      engine.submit(new InferRequest("mlp", ZOO.zoo().inputs("mlp", 1, i), Long.MAX_VALUE, 0, answers::add));
    }
    List<Unloaded> unloaded = new ArrayList<>();
    engine.unload("mlp", unloaded::add);
    sim.runUntilIdle(); // queued or started, each is answered UNLOADED
    assertEquals(3, answers.size());
    for (InferResult r : answers) {
      assertEquals(FailureReason.UNLOADED, ((InferResult.Failed) r).reason());
    }
    assertEquals(List.of(new Unloaded("mlp", true, 3)), unloaded);
    List<Unloaded> again = new ArrayList<>();
    engine.unload("mlp", again::add);
    assertEquals(List.of(new Unloaded("mlp", false, 0)), again, "not loaded any more: answered at once");
  }

  @Test
  void aDeviceThatCannotSayItsMemoryReportsMinusOne() {
    ForwardingDevice mute = new ForwardingDevice(sim) {
      @Override
      public long allocatedBytes() {
        throw new IllegalStateException("context lost");
      }
    };
    GpuEngine engine = new GpuEngine(mute, GpuSettings.defaults(), sim.clock(), Mailbox.direct(), at -> { });
    assertEquals(-1, engine.stats().allocatedBytes());
  }
}
