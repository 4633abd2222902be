package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceStream;
import dev.braid.device.ForwardingDevice;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ModelRunTest {
  private final CpuDevice device = new CpuDevice(2, 1 << 26);

  @AfterEach
  void close() {
    device.close();
  }

  private static <T> T join(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** Launches every op alone, in order, on {@code stream}, then finishes. */
  private static Map<String, Tensor> drive(ModelRun r, Device device, DeviceStream stream) {
    for (int i = 0; i < r.opCount(); i++) {
      join(device.launch(r.launch(i), stream));
      r.completed(i);
    }
    return join(r.finish());
  }

  private static void assertSameOutputs(Map<String, Tensor> expected, Map<String, Tensor> actual, String what) {
    assertEquals(expected.keySet(), actual.keySet(), what);
    for (String k : expected.keySet()) {
      assertArrayEquals(expected.get(k).floats(), actual.get(k).floats(), 1e-6f, what + ": output " + k);
    }
  }

  @Test
  void opByOpOnAnotherStreamEqualsRun() {
    for (ModelGraph g : List.of(SmallModels.mlp("mlp", 2, 8, 16, 4, 1), SmallModels.convNet("cnn", 5, 2))) {
      try (CompiledModel m = ModelExecutor.compile(g, device)) {
        assertEquals(3, m.steps().size(), g.name() + " steps " + m.steps());
        Map<String, Tensor> in = SmallModels.inputs(g, 7);
        Map<String, Tensor> expected = join(m.run(in));
        ModelRun r = join(m.start(in));
        assertEquals(3, r.opCount());
        assertSameOutputs(expected, drive(r, device, device.createStream(1)), g.name());
        assertTrue(expected.get("y").floats().length > 0 && nonZero(expected.get("y").floats()), "trivial outputs " + expected);
      }
    }
    assertEquals(0, device.allocatedBytes(), "weights and arenas freed");
  }

  private static boolean nonZero(float[] a) {
    for (float f : a) {
      if (f != 0) {
        return true;
      }
    }
    return false;
  }

  @Test
  void launchOfOpIIsStepIAndSharesWeightsButNotArenas() {
    try (CompiledModel m = ModelExecutor.compile(SmallModels.convNet("cnn", 4, 3), device)) {
      Map<String, Tensor> in = SmallModels.inputs(m.graph(), 1);
      ModelRun a = join(m.start(in));
      ModelRun b = join(m.start(in));
      for (int i = 0; i < m.steps().size(); i++) {
        KernelLaunch la = a.launch(i);
        KernelLaunch lb = b.launch(i);
        assertEquals(m.steps().get(i).kernel(), la.kernel(), "op " + i + " is step " + i);
        la.validate();
        DeviceBuffer arenaA = la.args().get(la.args().size() - 1).buffer();
        assertNotEquals(arenaA, lb.args().get(lb.args().size() - 1).buffer(), "op " + i + " output in each request's arena");
        // step 0 is the Conv: its weight and bias are the same resident slices for both requests
        if (i == 0) {
          assertSame(la.args().get(1).buffer(), lb.args().get(1).buffer(), "weights shared");
          assertEquals(la.args().get(1), lb.args().get(1));
          assertNotEquals(arenaA, la.args().get(1).buffer(), "weights are not in the arena");
        }
        join(device.launch(la, device.defaultStream()));
        a.completed(i);
        join(device.launch(lb, device.defaultStream()));
        b.completed(i);
      }
      a.abort();
      b.abort();
    }
  }

  @Test
  void twoRequestsOfOneModelInterleavedOpByOpEachGetTheirOwnOutputs() {
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 1, 6, 12, 3, 4), device)) {
      Map<String, Tensor> inA = SmallModels.inputs(m.graph(), 10);
      Map<String, Tensor> inB = SmallModels.inputs(m.graph(), 11);
      Map<String, Tensor> expectedA = join(m.run(inA));
      Map<String, Tensor> expectedB = join(m.run(inB));
      assertFalse(java.util.Arrays.equals(expectedA.get("y").floats(), expectedB.get("y").floats()), "inputs differ");
      ModelRun a = join(m.start(inA));
      ModelRun b = join(m.start(inB));
      DeviceStream sa = device.createStream(0);
      DeviceStream sb = device.createStream(0);
      for (int i = 0; i < m.steps().size(); i++) { // A0, B0, A1, B1, ...
        join(device.launch(a.launch(i), sa));
        a.completed(i);
        join(device.launch(b.launch(i), sb));
        b.completed(i);
      }
      assertSameOutputs(expectedA, join(a.finish()), "request A");
      assertSameOutputs(expectedB, join(b.finish()), "request B");
    }
  }

  /**
   * Drives {@code requests} in lock step as a space-time scheduler would: at step t every request
   * with ops left launches its op t; the Gemm ops of all requests go as one GroupedLaunch, the
   * Conv2d ops likewise, every other op alone on its own stream. Returns the largest group.
   */
  private int lockstep(List<ModelRun> requests) {
    int largest = 0;
    for (int t = 0;; t++) {
      Map<Class<?>, List<ModelRun>> byKind = new LinkedHashMap<>();
      for (ModelRun r : requests) {
        if (t < r.opCount()) {
          assertEquals(t, r.opsCompleted());
          byKind.computeIfAbsent(r.model().steps().get(t).kernel().getClass(), k -> new ArrayList<>()).add(r);
        }
      }
      if (byKind.isEmpty()) {
        return largest;
      }
      List<CompletableFuture<Void>> stages = new ArrayList<>();
      int step = t;
      for (Map.Entry<Class<?>, List<ModelRun>> e : byKind.entrySet()) {
        List<ModelRun> group = e.getValue();
        if (e.getKey() == Gemm.class || e.getKey() == Conv2d.class) {
          List<KernelLaunch> problems = new ArrayList<>();
          for (ModelRun r : group) {
            problems.add(r.launch(step));
          }
          largest = Math.max(largest, problems.size());
          stages.add(device.launch(new GroupedLaunch(problems), device.createStream(0))
              .thenRun(() -> group.forEach(r -> r.completed(step))).toCompletableFuture());
        } else {
          for (ModelRun r : group) {
            stages.add(device.launch(r.launch(step), device.createStream(1)).thenRun(() -> r.completed(step)).toCompletableFuture());
          }
        }
      }
      CompletableFuture.allOf(stages.toArray(CompletableFuture[]::new)).join();
    }
  }

  @Test
  void requestsOfDifferentModelsWithGemmsGroupedPerStepMatchEachRunAlone() {
    try (CompiledModel mlpA = ModelExecutor.compile(SmallModels.mlp("mlpA", 2, 8, 16, 4, 5), device);
        CompiledModel mlpB = ModelExecutor.compile(SmallModels.mlp("mlpB", 1, 5, 7, 3, 6), device);
        CompiledModel cnn = ModelExecutor.compile(SmallModels.convNet("cnn", 3, 7), device)) {
      List<CompiledModel> models = List.of(mlpA, mlpB, cnn, mlpA);
      List<Map<String, Tensor>> inputs = new ArrayList<>();
      List<Map<String, Tensor>> expected = new ArrayList<>();
      List<ModelRun> requests = new ArrayList<>();
      for (int i = 0; i < models.size(); i++) {
        inputs.add(SmallModels.inputs(models.get(i).graph(), 20 + i));
        expected.add(join(models.get(i).run(inputs.get(i))));
        requests.add(join(models.get(i).start(inputs.get(i))));
      }
      assertEquals(4, lockstep(requests), "the last step fuses the Gemms of all four requests");
      for (int i = 0; i < requests.size(); i++) {
        assertSameOutputs(expected.get(i), join(requests.get(i).finish()), "request " + i + " of " + models.get(i).graph().name());
      }
      assertEquals(mlpA.weightsBytes() + mlpB.weightsBytes() + cnn.weightsBytes(), device.allocatedBytes(), "arenas freed");
    }
  }

  @Test
  void arenaIsFreedOnceByFinishOrAbortAndTerminalCallsAreRefused() {
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 2, 8, 16, 4, 8), device)) {
      long weightsOnly = device.allocatedBytes();
      assertEquals(m.weightsBytes(), weightsOnly);
      Map<String, Tensor> in = SmallModels.inputs(m.graph(), 1);

      ModelRun done = join(m.start(in));
      assertEquals(weightsOnly + m.arenaBytes(), device.allocatedBytes(), "one arena while live");
      assertEquals(1, m.liveRequests());
      drive(done, device, device.defaultStream());
      assertEquals(weightsOnly, device.allocatedBytes(), "after finish");
      assertEquals(0, m.liveRequests());
      assertTrue(done.isDone());
      String again = assertThrows(IllegalStateException.class, done::finish).getMessage();
      assertTrue(again.contains("finish() after finish()") && again.contains("model 'mlp'"), again);
      String abortAfterFinish = assertThrows(IllegalStateException.class, done::abort).getMessage();
      assertTrue(abortAfterFinish.contains("abort() after finish()"), abortAfterFinish);
      assertThrows(IllegalStateException.class, () -> done.launch(0));

      ModelRun aborted = join(m.start(in));
      join(device.launch(aborted.launch(0), device.defaultStream()));
      aborted.completed(0);
      aborted.abort();
      assertEquals(weightsOnly, device.allocatedBytes(), "after abort");
      aborted.abort(); // idempotent: frees nothing twice (a double free would throw)
      assertEquals(weightsOnly, device.allocatedBytes(), "after a second abort");
      String finishAfterAbort = assertThrows(IllegalStateException.class, aborted::finish).getMessage();
      assertTrue(finishAfterAbort.contains("finish() after abort()"), finishAfterAbort);
      String launchAfterAbort = assertThrows(IllegalStateException.class, () -> aborted.launch(1)).getMessage();
      assertTrue(launchAfterAbort.contains("after abort()"), launchAfterAbort);
      assertEquals(0, m.liveRequests());
    }
    assertEquals(0, device.allocatedBytes());
  }

  @Test
  void finishBeforeEveryOpCompletedIsRefusedNamingHowManyRan() {
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 1, 4, 4, 2, 9), device)) {
      ModelRun r = join(m.start(SmallModels.inputs(m.graph(), 1)));
      String none = assertThrows(IllegalStateException.class, r::finish).getMessage();
      assertTrue(none.contains("after 0 of 3 ops completed"), none);
      join(device.launch(r.launch(0), device.defaultStream()));
      r.completed(0);
      r.launch(1); // handed out but not reported complete: still does not count
      String one = assertThrows(IllegalStateException.class, r::finish).getMessage();
      assertTrue(one.contains("after 1 of 3 ops completed"), one);
      assertFalse(r.isDone(), "a refused finish leaves the request running");
      r.settled(1); // handed out, never enqueued
      r.abort();
      assertEquals(m.weightsBytes(), device.allocatedBytes());
    }
  }

  @Test
  void opsAreHandedOutAndReportedStrictlyInOrder() {
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 1, 4, 4, 2, 9), device)) {
      ModelRun r = join(m.start(SmallModels.inputs(m.graph(), 1)));
      String early = assertThrows(IllegalStateException.class, () -> r.launch(1)).getMessage();
      assertTrue(early.contains("launch(1) refused") && early.contains("op 0 has not completed"), early);
      String unlaunched = assertThrows(IllegalStateException.class, () -> r.completed(0)).getMessage();
      assertTrue(unlaunched.contains("op 0 not launched yet"), unlaunched);
      String range = assertThrows(IllegalArgumentException.class, () -> r.launch(3)).getMessage();
      assertTrue(range.contains("out of range [0, 3)"), range);
      KernelLaunch op0 = r.launch(0);
      assertEquals(op0, r.launch(0), "asking again gives the same launch");
      assertThrows(IllegalStateException.class, () -> r.completed(1));
      join(device.launch(op0, device.defaultStream()));
      r.completed(0);
      String twice = assertThrows(IllegalStateException.class, () -> r.completed(0)).getMessage();
      assertTrue(twice.contains("out of order") && twice.contains("1 of 3"), twice);
      String past = assertThrows(IllegalStateException.class, () -> r.launch(0)).getMessage();
      assertTrue(past.contains("op 0 has already completed"), past);
      r.abort();
    }
  }

  @Test
  void startValidatesInputsAsRunDoesAndAllocatesNothingOnFailure() {
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 2, 3, 4, 2, 1), device)) {
      long weightsOnly = device.allocatedBytes();
      Map<String, Tensor> none = new HashMap<>();
      Map<String, Tensor> badShape = Map.of("x", Tensor.ofFloats(Shape.of(3, 2), new float[6]));
      Map<String, Tensor> badType = Map.of("x", Tensor.ofLongs(Shape.of(2, 3), new long[6]));
      Map<String, Tensor> extra = Map.of("x", Tensor.ofFloats(Shape.of(2, 3), new float[6]), "z", Tensor.ofFloats(Shape.of(1), new float[1]));
      String missing = startFailure(m, none);
      assertTrue(missing.contains("'x' is missing") && missing.contains("[2, 3]"), missing);
      assertTrue(startFailure(m, badShape).contains("expected shape [2, 3], received [3, 2]"));
      assertTrue(startFailure(m, badType).contains("expected dtype FLOAT32, received INT64"));
      assertTrue(startFailure(m, extra).contains("has no input 'z'"));
      for (Map<String, Tensor> bad : List.of(none, badShape, badType, extra)) {
        assertEquals(startFailure(m, bad), runFailure(m, bad), "start and run fail alike");
      }
      assertEquals(weightsOnly, device.allocatedBytes());
      assertEquals(0, m.liveRequests());
    }
  }

  private static String startFailure(CompiledModel m, Map<String, Tensor> in) {
    CompletionException e = assertThrows(CompletionException.class, () -> join(m.start(in)));
    assertTrue(e.getCause() instanceof IllegalArgumentException, e.toString());
    return e.getCause().getMessage();
  }

  private static String runFailure(CompiledModel m, Map<String, Tensor> in) {
    return assertThrows(CompletionException.class, () -> join(m.run(in))).getCause().getMessage();
  }

  @Test
  void closeIsRefusedWhileRequestsAreLiveAndStartAfterCloseFails() {
    CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 1, 4, 4, 2, 2), device);
    Map<String, Tensor> in = SmallModels.inputs(m.graph(), 1);
    ModelRun r = join(m.start(in));
    String refused = assertThrows(IllegalStateException.class, m::close).getMessage();
    assertTrue(refused.contains("1 live request"), refused);
    assertEquals(m.weightsBytes() + m.arenaBytes(), device.allocatedBytes(), "weights kept");
    r.abort();
    m.close();
    m.close();
    assertEquals(0, device.allocatedBytes());
    CompletionException e = assertThrows(CompletionException.class, () -> join(m.start(in)));
    assertTrue(e.getCause() instanceof IllegalStateException && e.getCause().getMessage().contains("is closed"), e.toString());
  }

  @Test
  void startFailsWithOutOfMemoryWhenTheArenaDoesNotFit() {
    ModelGraph g = SmallModels.mlp("wide", 64, 8, 256, 4, 3); // arena ~ 2 * 64 * 256 floats, weights ~ 3 K floats
    try (CpuDevice small = new CpuDevice(1, 40_000); CompiledModel m = ModelExecutor.compile(g, small)) {
      assertTrue(m.arenaBytes() > 40_000 - m.weightsBytes(), "arena " + m.arenaBytes() + " must not fit");
      CompletionException e = assertThrows(CompletionException.class, () -> join(m.start(SmallModels.inputs(g, 1))));
      assertEquals(DeviceException.Reason.OUT_OF_MEMORY, ((DeviceException) e.getCause()).reason());
      assertEquals(0, m.liveRequests());
      assertEquals(m.weightsBytes(), small.allocatedBytes());
    }
  }

  @Test
  void runFreesTheArenaWhenALaunchFailsAndFinishFreesItWhenADownloadFails() {
    Faulty faulty = new Faulty(device);
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 2, 8, 16, 4, 8), faulty)) {
      Map<String, Tensor> in = SmallModels.inputs(m.graph(), 1);
      faulty.failLaunch = 1;
      CompletionException e = assertThrows(CompletionException.class, () -> join(m.run(in)));
      assertTrue(e.getCause() instanceof DeviceException && e.getCause().getMessage().contains("injected launch failure"), e.toString());
      assertEquals(2, faulty.launches.get(), "op 2 never launched after op 1 failed");
      assertEquals(m.weightsBytes(), device.allocatedBytes(), "arena freed after a failed launch");
      assertEquals(0, m.liveRequests());

      faulty.failLaunch = -1;
      faulty.failDownloads = true;
      CompletionException d = assertThrows(CompletionException.class, () -> join(m.run(in)));
      assertTrue(d.getCause().getMessage().contains("injected download failure"), d.toString());
      assertEquals(m.weightsBytes(), device.allocatedBytes(), "arena freed after a failed download");
      assertEquals(0, m.liveRequests());
    }
  }

  @Test
  void abortWhileALaunchIsOnTheDeviceFreesTheArenaOnlyAfterTheLaunchSettles() {
    Delayed slow = new Delayed(device);
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 2, 8, 16, 4, 8), slow)) {
      Map<String, Tensor> in = SmallModels.inputs(m.graph(), 1);
      long weightsOnly = device.allocatedBytes();
      ModelRun r = join(m.start(in));
      long withArena = device.allocatedBytes();
      CompletionStage<Void> op0 = r.launch(0, slow.defaultStream()); // the kernel is still "running"
      r.abort(); // e.g. its deadline passed meanwhile
      assertTrue(r.isDone() && r.isReleasePending(), "aborted, the free waiting for the device");
      assertEquals(withArena, device.allocatedBytes(), "the arena stays allocated while a kernel may write it");
      assertEquals(1, m.liveRequests());
      assertThrows(IllegalStateException.class, () -> r.launch(1), "no further op after abort");
      assertThrows(IllegalStateException.class, m::close, "the weights are read by the running kernel");
      ModelRun other = join(m.start(in));
      assertTrue(device.allocatedBytes() >= withArena + m.arenaBytes(), "a new request gets memory of its own");
      other.abort();

      slow.finishHeld(); // the kernel ends
      join(op0);
      assertFalse(r.isReleasePending());
      assertEquals(weightsOnly, device.allocatedBytes(), "freed once the launch settled");
      assertEquals(0, m.liveRequests());

      // a launch that fails after the abort frees too; one reported through onDevice counts alike
      ModelRun f = join(m.start(in));
      CompletableFuture<Void> grouped = new CompletableFuture<>();
      f.launch(0);
      f.onDevice(grouped);
      f.abort();
      assertEquals(withArena, device.allocatedBytes(), "held until the grouped launch settles");
      grouped.completeExceptionally(new DeviceException(DeviceException.Reason.KERNEL_FAILED, "injected"));
      assertEquals(weightsOnly, device.allocatedBytes());
      assertFalse(f.isReleasePending());
    }
  }

  @Test
  void abortAfterALaunchTheCallerEnqueuedWithoutReportingItsStageWaitsForTheCallersReport() {
    Delayed slow = new Delayed(device);
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 2, 8, 16, 4, 8), slow)) {
      Map<String, Tensor> in = SmallModels.inputs(m.graph(), 1);
      long weightsOnly = device.allocatedBytes();
      ModelRun r = join(m.start(in));
      long withArena = device.allocatedBytes();
      // The caller runs the handed-out launch itself on a stream of its own and reports nothing yet.
      CompletionStage<Void> op0 = slow.launch(r.launch(0), slow.createStream(0));
      r.abort();
      assertTrue(r.isDone() && r.isReleasePending(), "aborted, the free waiting for the handed-out op");
      assertEquals(withArena, device.allocatedBytes(), "the arena stays allocated while the kernel may write it");
      assertThrows(IllegalStateException.class, m::close, "the weights are read by the running kernel");
      ModelRun other = join(m.start(in));
      assertTrue(device.allocatedBytes() >= withArena + m.arenaBytes(), "a new request does not get that arena");
      other.abort();
      slow.finishHeld();
      join(op0);
      assertTrue(r.isReleasePending(), "the request cannot see that stage: it waits for the caller's report");
      r.completed(0); // the report the caller makes when its stage completes
      assertFalse(r.isReleasePending());
      assertEquals(weightsOnly, device.allocatedBytes(), "freed once the caller reported the op");
      assertEquals(0, m.liveRequests());

      // reported through onDevice after the abort: freed when that stage settles
      ModelRun late = join(m.start(in));
      CompletableFuture<Void> stage = new CompletableFuture<>();
      late.launch(0);
      late.abort();
      late.onDevice(stage);
      assertEquals(withArena, device.allocatedBytes(), "held until the reported stage settles");
      stage.completeExceptionally(new DeviceException(DeviceException.Reason.KERNEL_FAILED, "injected"));
      assertEquals(weightsOnly, device.allocatedBytes());

      // a launch whose stage failed, or that never reached the device, is reported settled
      ModelRun failed = join(m.start(in));
      failed.launch(0);
      failed.settled(0);
      assertEquals(failed.launch(0), failed.launch(0), "a settled op may be handed out again");
      failed.abort();
      assertTrue(failed.isReleasePending(), "handed out again, unreported");
      failed.settled(0);
      assertFalse(failed.isReleasePending());
      assertEquals(weightsOnly, device.allocatedBytes());
      String none = assertThrows(IllegalStateException.class, () -> failed.settled(1)).getMessage();
      assertTrue(none.contains("settled(1) names no op in flight"), none);
    }
  }

  @Test
  void abortWithNothingPendingFreesAtOnceAndRunStillFreesAfterAFailedLaunch() {
    try (CompiledModel m = ModelExecutor.compile(SmallModels.mlp("mlp", 1, 4, 4, 2, 9), device)) {
      ModelRun r = join(m.start(SmallModels.inputs(m.graph(), 1)));
      join(r.launch(0, device.defaultStream()));
      r.completed(0);
      r.abort();
      assertFalse(r.isReleasePending());
      assertEquals(m.weightsBytes(), device.allocatedBytes());
    }
  }

  /** A CpuDevice whose launches are held: they run, and their stages complete, only at {@link #finishHeld}. */
  private static final class Delayed extends ForwardingDevice {
    final CpuDevice cpu;
    final List<Runnable> held = new ArrayList<>();

    Delayed(CpuDevice cpu) {
      super(cpu);
      this.cpu = cpu;
    }

    synchronized void finishHeld() {
      held.forEach(Runnable::run);
      held.clear();
    }

    @Override
    public synchronized CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      held.add(() -> cpu.launch(launch, stream).toCompletableFuture().whenComplete((v, e) -> {
        if (e != null) {
          f.completeExceptionally(e);
        } else {
          f.complete(null);
        }
      }).join());
      return f;
    }
  }

  /** A CpuDevice whose launch number {@code failLaunch} (counting from 0) or downloads fail. */
  private static final class Faulty extends ForwardingDevice {
    final CpuDevice cpu;
    final AtomicInteger launches = new AtomicInteger();
    volatile int failLaunch = -1;
    volatile boolean failDownloads;

    Faulty(CpuDevice cpu) {
      super(cpu);
      this.cpu = cpu;
    }

    @Override
    public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
      return failDownloads ? CompletableFuture.failedFuture(new DeviceException(DeviceException.Reason.KERNEL_FAILED,
          "injected download failure")) : cpu.download(src, stream);
    }

    @Override
    public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
      if (launches.getAndIncrement() == failLaunch) {
        return CompletableFuture.failedFuture(new DeviceException(DeviceException.Reason.KERNEL_FAILED, "injected launch failure"));
      }
      return cpu.launch(launch, stream);
    }
  }
}
