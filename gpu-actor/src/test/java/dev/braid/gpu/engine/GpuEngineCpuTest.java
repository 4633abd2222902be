package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on the CPU device in real time, owned by a single-threaded executor. */
class GpuEngineCpuTest {
  @Test
  void realTimeLoopServesBatchesOfBothModelsAndDrains(@TempDir Path repo) throws Exception {
    ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    try (ZooFixture zoo = new ZooFixture(repo, "mlp", "resnet18"); CpuDevice cpu = new CpuDevice(2)) {
      GpuEngine engine = GpuEngine.onExecutor(cpu, GpuSettings.defaults(), owner);
      for (String m : zoo.models.keySet()) {
        CompletableFuture<LoadResult> loaded = new CompletableFuture<>();
        owner.execute(() -> engine.load(m, zoo.models.get(m), loaded::complete));
        assertInstanceOf(LoadResult.Loaded.class, loaded.get(60, TimeUnit.SECONDS));
      }
      assertTrue(owner.submit(() -> engine.costModel().measuredNanos("resnet18", 1, 0).isPresent()).get(),
          "the CPU device was timed at load");

      List<Map<String, Tensor>> inputs = new ArrayList<>();
      List<String> names = new ArrayList<>();
      List<CompletableFuture<InferResult>> answers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String model = i % 2 == 0 ? "mlp" : "resnet18";
        Map<String, Tensor> in = zoo.inputs(model, 1 + i % 3, i);
        CompletableFuture<InferResult> answer = new CompletableFuture<>();
        long budgetNanos = TimeUnit.SECONDS.toNanos(30);
        owner.execute(() -> engine.submit(new InferRequest(model, in, engine.clock().nanoTime() + budgetNanos, 0,
            r -> {
              if (!answer.complete(r)) {
                throw new AssertionError("answered twice");
              }
            })));
        names.add(model);
        inputs.add(in);
        answers.add(answer);
      }
      CompletableFuture<Void> drained = new CompletableFuture<>();
      owner.execute(() -> engine.drain(() -> drained.complete(null)));
      drained.get(60, TimeUnit.SECONDS);
      for (int i = 0; i < answers.size(); i++) {
        InferResult r = answers.get(i).getNow(null);
        InferResult.Completed c = assertInstanceOf(InferResult.Completed.class, r, "answered before drained: " + r);
        ZooFixture.assertClose(zoo.alone(names.get(i), inputs.get(i)), c.outputs(), "request " + i);
      }
      EngineStats stats = owner.submit(engine::stats).get();
      assertEquals(6, stats.requestsCompleted());
      assertEquals(0, stats.jobsInFlight());

      CompletableFuture<InferResult> refused = new CompletableFuture<>();
      owner.execute(() -> engine.submit(new InferRequest("mlp", inputs.get(0), Long.MAX_VALUE, 0, refused::complete)));
      assertEquals(FailureReason.DRAINING,
          assertInstanceOf(InferResult.Failed.class, refused.get(10, TimeUnit.SECONDS)).reason());
      owner.submit(engine::close).get();
    } finally {
      owner.shutdownNow();
    }
  }
}
