package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.protocol.cluster.FailureReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests whose client gave up, and requests whose deadline passed while they waited, never reach
 * the device: launches are counted per request id through the engine's listener, on a simulated
 * H100 in virtual time, under a load that keeps the device busy so that requests queue.
 */
class CancelledAndLateRequestsTest {
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp");

  private final SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100, SimulatedDevice.Compute.REAL);
  /** Launches per request id, as the engine reports them. */
  private final Map<String, Integer> launches = new HashMap<>();
  /** What the listener was told, in order: "launched ID" and "cancel ID". */
  private final List<String> told = new ArrayList<>();
  /** The stage each cancelled request was in when its cancel came. */
  private final Map<String, String> stages = new HashMap<>();
  /** Answers per request id. */
  private final Map<String, List<InferResult>> answers = new LinkedHashMap<>();
  private final Map<String, InferRequest> submitted = new HashMap<>();
  private GpuEngine engine;
  /** Requests to cancel the moment the next batch starts (before its inputs are on the device). */
  private final List<String> cancelAtNextBatch = new ArrayList<>();

  private void start() {
    engine = GpuEngine.onSimulator(sim, GpuSettings.defaults());
    engine.listen(new EngineListener() {
      @Override
      public void requestLaunched(String model, String requestId) {
        launches.merge(requestId, 1, Integer::sum);
        told.add("launched " + requestId);
      }

      @Override
      public void cancelReceived(String model, String requestId, String stage) {
        told.add("cancel " + requestId);
        stages.put(requestId, stage);
      }

      @Override
      public void batchStarted(String model, long version, int requests, int rows, long queuedNanos) {
        List<String> ids = List.copyOf(cancelAtNextBatch);
        cancelAtNextBatch.clear();
        ids.forEach(id -> cancelAt(sim.clock().nanoTime(), id)); // a listener must not call the engine itself
      }
    });
    List<LoadResult> loaded = new ArrayList<>();
    engine.load("mlp", ZOO.zoo().models.get("mlp"), loaded::add);
    assertInstanceOf(LoadResult.Loaded.class, loaded.get(0));
  }

  private void submitAt(long atNanos, String id, long deadlineNanos) {
    List<InferResult> got = new ArrayList<>();
    answers.put(id, got);
    InferRequest r = new InferRequest("mlp", ZOO.zoo().inputs("mlp", 1, id.hashCode()), deadlineNanos, 0, got::add, id);
    submitted.put(id, r);
    sim.schedule(atNanos, () -> engine.submit(r));
  }

  private void cancelAt(long atNanos, String id) {
    sim.schedule(atNanos, () -> engine.cancel(submitted.get(id), "client of " + id + " cancelled"));
  }

  private FailureReason failure(String id) {
    List<InferResult> got = answers.get(id);
    assertEquals(1, got.size(), id + " answered once: " + got);
    return got.get(0) instanceof InferResult.Failed f ? f.reason() : null;
  }

  @Test
  void cancelledAndExpiredRequestsAreAnsweredOnceAndNeverLaunchedWhileTheOthersRunOnce() {
    start();
    long t = sim.clock().nanoTime();
    List<String> served = new ArrayList<>();
    List<String> cancelled = new ArrayList<>();
    List<String> late = new ArrayList<>();
    for (int wave = 0; wave < 3; wave++) {
      long at = t + wave * 2_000_000L;
      for (int i = 0; i < 40; i++) { // enough to keep the device busy and the batcher full
        String id = "ok-" + wave + "-" + i;
        served.add(id);
        submitAt(at + i * 1_000L, id, Long.MAX_VALUE);
      }
      for (int i = 0; i < 6; i++) {
        String c = "cancel-" + wave + "-" + i;
        cancelled.add(c);
        submitAt(at + 40_000L + i * 1_000L, c, Long.MAX_VALUE);
        cancelAt(at + 40_500L + i * 1_000L, c); // queued behind the wave when its client gives up
        String l = "late-" + wave + "-" + i;
        late.add(l);
        submitAt(at + 40_000L + i * 1_000L, l, at + 41_000L + i * 1_000L); // 1 us of budget, behind the wave
      }
    }
    sim.runUntilIdle();
    // A batch whose every member is cancelled after it formed is withdrawn before its first launch.
    long lone = sim.clock().nanoTime() + 1_000_000L;
    for (int i = 0; i < 4; i++) {
      String c = "cancel-alone-" + i;
      cancelled.add(c);
      submitAt(lone, c, Long.MAX_VALUE);
    }
    sim.schedule(lone - 1, () -> cancelAtNextBatch.addAll(cancelled.subList(cancelled.size() - 4, cancelled.size())));
    sim.runUntilIdle();
    assertTrue(cancelAtNextBatch.isEmpty(), "the lone batch started");

    for (String id : served) {
      assertEquals(null, failure(id), id + " completed");
      assertEquals(1, launches.getOrDefault(id, 0), id + " launched once");
    }
    for (String id : cancelled) {
      assertEquals(FailureReason.CANCELLED, failure(id), id);
      assertEquals(0, launches.getOrDefault(id, 0), id + " never launched");
    }
    for (String id : late) {
      FailureReason r = failure(id);
      assertTrue(r == FailureReason.TOO_LATE || r == FailureReason.DEADLINE_UNREACHABLE, id + ": " + r);
      assertEquals(0, launches.getOrDefault(id, 0), id + " never launched");
    }
    // The node's event stream gets cancel-received from here: once per cancel, and no launch follows it.
    for (String id : cancelled) {
      int at = told.indexOf("cancel " + id);
      assertTrue(at >= 0, id + ": cancelReceived told");
      assertEquals(at, told.lastIndexOf("cancel " + id), id + ": cancelReceived told once");
      assertTrue(told.subList(at, told.size()).stream().noneMatch(("launched " + id)::equals),
          id + " launched after its cancel was received");
    }
    for (int i = 0; i < 4; i++) {
      assertEquals("started", stages.get("cancel-alone-" + i), "cancelled after its batch started");
    }
    assertEquals("queued", stages.get("cancel-0-0"), "cancelled in its batcher");
    EngineStats stats = engine.stats();
    assertEquals(cancelled.size(), stats.failuresByReason().getOrDefault(FailureReason.CANCELLED, 0L), "counted CANCELLED");
    assertEquals(0, stats.jobsInFlight());
  }
}
