package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.sched.SchedulingPolicies;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine on a simulated H100 that computes real outputs, driven by a virtual-time loop. */
class GpuEngineSimTest {
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp", "resnet18");

  /** One request: what was sent, and every answer it got. */
  record Sent(String model, Map<String, Tensor> inputs, List<InferResult> answers) {}

  private final SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100, SimulatedDevice.Compute.REAL);

  /**
   * The engine under {@code policy}; space-time holds up to 50 us for partners, since at this
   * light load every ready op finds one of its eight streams free, so without holding nothing is
   * ready at the same instant to fuse with.
   */
  private GpuEngine engine(String policy) {
    GpuSettings settings = GpuSettings.defaults().withPolicy(policy);
    return engine(policy.equals("space-time") ? settings.withMaxHold(Duration.ofNanos(50_000)) : settings);
  }

  private GpuEngine engine(GpuSettings settings) {
    GpuEngine engine = GpuEngine.onSimulator(sim, settings);
    for (String m : ZOO.zoo().models.keySet()) {
      List<LoadResult> loaded = new ArrayList<>();
      engine.load(m, ZOO.zoo().models.get(m), loaded::add);
      assertInstanceOf(LoadResult.Loaded.class, loaded.get(0), m + ": " + loaded);
    }
    return engine;
  }

  private Sent submitAt(GpuEngine engine, long atNanos, String model, int rows, long seed, long deadlineNanos) {
    Sent s = new Sent(model, ZOO.zoo().inputs(model, rows, seed), new ArrayList<>());
    sim.schedule(atNanos, () -> engine.submit(new InferRequest(model, s.inputs(), deadlineNanos, 0, s.answers()::add)));
    return s;
  }

  static List<String> policies() {
    return SchedulingPolicies.NAMES;
  }

  @ParameterizedTest
  @MethodSource("policies")
  void everyPolicyAnswersEachRequestOnceWithTheOutputsOfItsModelRunAlone(String policy) {
    GpuEngine engine = engine(policy);
    List<Sent> sent = new ArrayList<>();
    long t = sim.clock().nanoTime();
    // two waves, so that batches of both models are in flight together and batch sizes vary
    for (int wave = 0; wave < 2; wave++) {
      long at = t + wave * 300_000L;
      for (int i = 0; i < 5; i++) {
        sent.add(submitAt(engine, at + i * 10_000L, "mlp", 1 + i % 3, 100 * wave + i, Long.MAX_VALUE));
      }
      for (int i = 0; i < 3; i++) {
        sent.add(submitAt(engine, at + i * 15_000L, "resnet18", 1 + i % 2, 1000 + 100 * wave + i, Long.MAX_VALUE));
      }
    }
    sim.runUntilIdle();

    for (Sent s : sent) {
      assertEquals(1, s.answers().size(), s.model() + ": answered exactly once, got " + s.answers());
      InferResult.Completed c = assertInstanceOf(InferResult.Completed.class, s.answers().get(0));
      ZooFixture.assertClose(ZOO.zoo().alone(s.model(), s.inputs()), c.outputs(), policy + " " + s.model());
    }
    EngineStats stats = engine.stats();
    assertEquals(sent.size(), stats.requestsCompleted());
    assertEquals(0, stats.requestsFailed());
    assertTrue(stats.batches() < sent.size(), "requests were batched: " + stats.batches() + " batches");
    assertTrue(stats.busyNanos() > 0 && stats.busyNanos() <= stats.nowNanos());
    if (policy.equals("space-time")) {
      assertTrue(stats.superKernels() > 0, "space-time formed super-kernels: " + stats);
      assertTrue(stats.largestSuperKernel() >= 2);
    } else {
      assertEquals(0, stats.superKernels(), policy + " never fuses");
    }
    assertTrue(engine.isIdle());
  }

  @Test
  void aDeadlineThatPassesWhileQueuedIsAnsweredTooLate() {
    GpuEngine engine = engine("space-time");
    long now = sim.clock().nanoTime();
    // 1 us of budget: the batch waits up to max_queue_delay (100 us) for company
    Sent late = submitAt(engine, now, "resnet18", 1, 1, now + 1_000);
    Sent past = submitAt(engine, now, "mlp", 1, 2, now);
    Sent fine = submitAt(engine, now + 5_000, "mlp", 1, 3, Long.MAX_VALUE);
    sim.runUntilIdle();

    for (Sent s : List.of(late, past)) {
      assertEquals(1, s.answers().size());
      InferResult.Failed f = assertInstanceOf(InferResult.Failed.class, s.answers().get(0));
      assertEquals(FailureReason.TOO_LATE, f.reason());
      assertTrue(f.message().contains("'" + s.model() + "'") && f.message().contains("deadline"), f.message());
    }
    assertInstanceOf(InferResult.Completed.class, fine.answers().get(0));
    EngineStats stats = engine.stats();
    assertEquals(2, stats.requestsRejected());
    assertEquals(Map.of(FailureReason.TOO_LATE, 2L), stats.failuresByReason());
  }

  @ParameterizedTest
  @MethodSource("policies")
  void aRequestWhoseModelCannotRunInItsBudgetIsAnsweredTooLateWithoutALaunch(String policy) {
    GpuEngine engine = engine(policy);
    long now = sim.clock().nanoTime();
    // resnet18 at batch 1 takes about 0.9 ms of device work on an H100. The batch is admitted
    // about 1.1 ms after submission (max_queue_delay, then its inputs' upload), when 0.4 ms of a
    // 1.5 ms budget are left: the deadline is still ahead, but too close for the model's work
    Sent hopeless = submitAt(engine, now, "resnet18", 1, 1, now + 1_500_000);
    long launches = engine.stats().launches();
    sim.runUntilIdle();

    InferResult.Failed f = assertInstanceOf(InferResult.Failed.class, hopeless.answers().get(0));
    assertEquals(FailureReason.TOO_LATE, f.reason());
    assertTrue(f.message().contains("cannot meet its deadline"), f.message());
    assertEquals(launches, engine.stats().launches(), "no device time spent on it");
    assertTrue(engine.isIdle());
  }

  @Test
  void unloadAnswersQueuedAndRunningRequestsAndFreesTheWeightsOnceTheDeviceLetsGo() {
    GpuEngine engine = engine("space-time");
    long now = sim.clock().nanoTime();
    Sent running = submitAt(engine, now, "resnet18", 8, 1, Long.MAX_VALUE); // a full batch: starts at once
    Sent queued = submitAt(engine, now + 1_000, "resnet18", 1, 2, Long.MAX_VALUE);
    Sent other = submitAt(engine, now + 1_000, "mlp", 2, 3, Long.MAX_VALUE);
    List<Unloaded> unloaded = new ArrayList<>();
    long before = sim.allocatedBytes();
    sim.schedule(now + 20_000, () -> {
      assertEquals(1, engine.stats().queuedRequests().get("resnet18"), "one request waits for company");
      engine.unload("resnet18", unloaded::add);
      assertTrue(unloaded.isEmpty(), "the running batch still holds the weights");
    });
    sim.runUntilIdle();

    for (Sent s : List.of(running, queued)) {
      assertEquals(1, s.answers().size(), "answered once: " + s.answers());
      InferResult.Failed f = assertInstanceOf(InferResult.Failed.class, s.answers().get(0));
      assertEquals(FailureReason.UNLOADED, f.reason());
      assertTrue(f.message().contains("'resnet18' was unloaded"), f.message());
    }
    assertInstanceOf(InferResult.Completed.class, other.answers().get(0), "other models are unaffected");
    assertEquals(List.of(new Unloaded("resnet18", true, 2)), unloaded);
    assertEquals(List.of("mlp"), engine.models());
    assertTrue(sim.allocatedBytes() < before, "resnet18's weights freed");

    List<InferResult> after = new ArrayList<>();
    engine.submit(new InferRequest("resnet18", ZOO.zoo().inputs("resnet18", 1, 4), Long.MAX_VALUE, 0, after::add));
    InferResult.Failed f = assertInstanceOf(InferResult.Failed.class, after.get(0));
    assertEquals(FailureReason.UNKNOWN_MODEL, f.reason());
    assertTrue(f.message().contains("'resnet18' is not loaded") && f.message().contains("[mlp]"), f.message());
  }

  @Test
  void theWeightsAreUploadedOnceForEveryBatchSize() {
    GpuEngine engine = engine("space-time");
    long afterLoad = sim.allocatedBytes();
    List<Sent> sent = new ArrayList<>();
    long now = sim.clock().nanoTime();
    for (int rows = 1; rows <= 8; rows++) {
      sent.add(submitAt(engine, now + rows * 1_000_000L, "mlp", rows, rows, Long.MAX_VALUE));
    }
    sim.runUntilIdle();
    sent.forEach(s -> assertInstanceOf(InferResult.Completed.class, s.answers().get(0)));
    assertEquals(afterLoad, sim.allocatedBytes(), "eight batch sizes compiled, no more weights, arenas freed");
    assertTrue(engine.costModel().measuredNanos("mlp", 8, 0).isPresent(), "each batch size profiled from the timing model");
  }

  @Test
  void aModelAtItsLimitOfBatchesHoldsPartialBatchesUntilOneIsAnsweredThenSendsThemTogether() {
    GpuEngine engine = engine(GpuSettings.defaults().withMaxBatchesInFlightPerModel(1));
    long now = sim.clock().nanoTime();
    // resnet18 at batch 1 runs about 0.9 ms on an H100: the first batch (released after the
    // 100 us queue delay) is still running when the others' delay has passed
    Sent first = submitAt(engine, now, "resnet18", 1, 1, Long.MAX_VALUE);
    List<Sent> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(submitAt(engine, now + 300_000 + i * 10_000L, "resnet18", 1, 2 + i, Long.MAX_VALUE));
    }
    Sent late = submitAt(engine, now + 300_000, "resnet18", 1, 9, now + 700_000);
    sim.schedule(now + 600_000, () -> assertEquals(4, engine.stats().queuedRequests().get("resnet18"),
        "held back while the first batch runs, though their queue delay has passed"));
    sim.runUntilIdle();

    for (Sent s : held) {
      InferResult.Completed c = assertInstanceOf(InferResult.Completed.class, s.answers().get(0));
      ZooFixture.assertClose(ZOO.zoo().alone(s.model(), s.inputs()), c.outputs(), "held request");
    }
    assertInstanceOf(InferResult.Completed.class, first.answers().get(0));
    InferResult.Failed f = assertInstanceOf(InferResult.Failed.class, late.answers().get(0));
    assertEquals(FailureReason.TOO_LATE, f.reason(), "a held request's deadline still counts");
    assertTrue(f.message().contains("before a batch formed"), f.message());
    assertEquals(2, engine.stats().batches(), "the first alone, then the three held together");
    assertTrue(engine.isIdle());
  }

  @Test
  void predictedFinishGrowsWithTheWorkAhead() {
    GpuEngine engine = engine("space-time");
    long now = sim.clock().nanoTime();
    long idle = engine.predictFinishNanos("mlp", now);
    assertTrue(idle > now);
    for (int i = 0; i < 4; i++) {
      engine.submit(new InferRequest("resnet18", ZOO.zoo().inputs("resnet18", 8, i), Long.MAX_VALUE, 0, r -> { }));
    }
    assertTrue(engine.predictFinishNanos("mlp", now) > idle, "four resnet batches ahead");
    Map<String, Integer> queued = new LinkedHashMap<>(engine.stats().queuedRequests());
    assertEquals(0, queued.get("resnet18"), "full batches leave the queue at once");
    sim.runUntilIdle();
  }
}
