package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceException;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.FailureReason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine over a device that fails a launch: sticky (the device goes unhealthy) or transient. */
class GpuEngineHealthTest {
  private static final String KERNEL = "braid_gemm_f32";
  private static final String CODE = "CUDA_ERROR_ILLEGAL_ADDRESS (700)";

  @TempDir
  Path repo;
  private ZooFixture zoo;
  private ScheduledExecutorService owner;
  private FailingDevice device;
  private GpuEngine engine;

  @BeforeEach
  void loadMlp() throws Exception {
    zoo = new ZooFixture(repo, "mlp");
    owner = Executors.newSingleThreadScheduledExecutor();
    device = new FailingDevice(new CpuDevice(2));
    engine = GpuEngine.onExecutor(device, GpuSettings.defaults(), owner);
    CompletableFuture<LoadResult> loaded = new CompletableFuture<>();
    owner.execute(() -> engine.load("mlp", zoo.models.get("mlp"), loaded::complete));
    assertInstanceOf(LoadResult.Loaded.class, loaded.get(60, TimeUnit.SECONDS));
  }

  @AfterEach
  void close() {
    owner.shutdownNow();
    device.close();
    zoo.close();
  }

  /** A request whose answers are counted, so that a second answer fails the test. */
  private final class Call {
    final CompletableFuture<InferResult> answer = new CompletableFuture<>();
    final AtomicInteger answers = new AtomicInteger();
    final Map<String, Tensor> inputs;

    Call(int seed) {
      inputs = zoo.inputs("mlp", 1, seed);
    }

    InferRequest request() {
      return new InferRequest("mlp", inputs, engine.clock().nanoTime() + TimeUnit.SECONDS.toNanos(30), 0, r -> {
        answers.incrementAndGet();
        answer.complete(r);
      });
    }

    InferResult.Failed failed() throws Exception {
      return assertInstanceOf(InferResult.Failed.class, answer.get(30, TimeUnit.SECONDS));
    }
  }

  private List<Call> submit(int n, int seed) throws Exception {
    List<Call> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(new Call(seed + i));
    }
    owner.submit(() -> calls.forEach(c -> engine.submit(c.request()))).get();
    return calls;
  }

  private static void assertNamesKernelAndCode(String message) {
    assertTrue(message.contains(KERNEL) && message.contains(CODE), message);
  }

  @Test
  void stickyFailureAnswersInFlightAndQueuedRequestsOnceWithTheKernelAndCodeAndRefusesLaterWork() throws Exception {
    device.arm(1, FailingDevice.illegalAddress(), true, true);
    List<Call> first = submit(4, 0);
    assertTrue(device.awaitHeld(30), "the failing launch was issued");
    // Submitted while the failure is pending: none is in the failing launch.
    List<Call> later = submit(12, 100);
    device.fire();

    int deviceFailed = 0;
    for (Call c : first) {
      InferResult.Failed f = c.failed();
      assertTrue(f.reason() == FailureReason.DEVICE_FAILED || f.reason() == FailureReason.DEVICE_UNHEALTHY, f.toString());
      assertNamesKernelAndCode(f.message());
      deviceFailed += f.reason() == FailureReason.DEVICE_FAILED ? 1 : 0;
    }
    assertTrue(deviceFailed > 0, "the failing launch's requests are answered DEVICE_FAILED");
    for (Call c : later) {
      InferResult.Failed f = c.failed();
      assertEquals(FailureReason.DEVICE_UNHEALTHY, f.reason(), f.message());
      assertNamesKernelAndCode(f.message());
      assertTrue(f.message().contains(device.info().name()), f.message());
    }

    Call refused = new Call(500);
    boolean answeredAtOnce = owner.submit(() -> {
      engine.submit(refused.request());
      return refused.answer.isDone();
    }).get();
    assertTrue(answeredAtOnce, "a request to an unhealthy device is refused within submit");
    assertEquals(FailureReason.DEVICE_UNHEALTHY, refused.failed().reason());
    assertNamesKernelAndCode(refused.failed().message());

    CompletableFuture<LoadResult> load = new CompletableFuture<>();
    owner.submit(() -> engine.load("mlp2", zoo.models.get("mlp"), load::complete)).get();
    LoadResult.LoadError loadError = assertInstanceOf(LoadResult.LoadError.class, load.getNow(null));
    assertNamesKernelAndCode(loadError.message());

    CompletableFuture<Void> drained = new CompletableFuture<>();
    owner.execute(() -> engine.drain(() -> drained.complete(null)));
    drained.get(10, TimeUnit.SECONDS);
    CompletableFuture<Unloaded> unloaded = new CompletableFuture<>();
    owner.execute(() -> engine.unload("mlp", unloaded::complete));
    assertTrue(unloaded.get(10, TimeUnit.SECONDS).wasLoaded());

    EngineStats stats = owner.submit(engine::stats).get();
    assertFalse(stats.healthy());
    assertNamesKernelAndCode(stats.unhealthyReason());
    assertEquals(17, stats.requestsSubmitted());
    assertEquals(17, stats.requestsFailed());
    assertEquals(0, stats.requestsCompleted());
    Thread.sleep(200);
    for (Call c : concat(first, later, List.of(refused))) {
      assertEquals(1, c.answers.get(), "answered exactly once");
    }
  }

  @Test
  void transientOutOfMemoryFailsOnlyThatLaunchAndTheEngineKeepsServing() throws Exception {
    device.arm(1, new DeviceException(DeviceException.Reason.OUT_OF_MEMORY, KERNEL + ": " + "out of memory"), false,
        false);
    Call failed = submit(1, 0).get(0);
    InferResult.Failed f = failed.failed();
    assertEquals(FailureReason.OUT_OF_MEMORY, f.reason(), f.message());
    assertTrue(f.message().contains(KERNEL), f.message());

    Call next = submit(1, 1).get(0);
    InferResult.Completed c = assertInstanceOf(InferResult.Completed.class, next.answer.get(30, TimeUnit.SECONDS));
    ZooFixture.assertClose(zoo.alone("mlp", next.inputs), c.outputs(), "after a transient failure");
    EngineStats stats = owner.submit(engine::stats).get();
    assertTrue(stats.healthy());
    assertEquals("", stats.unhealthyReason());
    assertEquals(1, stats.requestsCompleted());
  }

  @Test
  void transientKernelFailureAnswersItsLaunchDeviceFailedWithTheDeviceMessage() throws Exception {
    device.arm(0, FailingDevice.illegalAddress(), false, false);
    Call failed = submit(1, 0).get(0);
    InferResult.Failed f = failed.failed();
    assertEquals(FailureReason.DEVICE_FAILED, f.reason(), f.message());
    assertNamesKernelAndCode(f.message());
    Call next = submit(1, 1).get(0);
    assertInstanceOf(InferResult.Completed.class, next.answer.get(30, TimeUnit.SECONDS));
    assertTrue(owner.submit(engine::isHealthy).get());
  }

  @SafeVarargs
  private static List<Call> concat(List<Call>... lists) {
    List<Call> all = new ArrayList<>();
    for (List<Call> l : lists) {
      all.addAll(l);
    }
    return all;
  }
}
