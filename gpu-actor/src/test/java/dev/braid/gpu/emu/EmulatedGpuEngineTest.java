package dev.braid.gpu.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cuda.CudaDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.EngineStats;
import dev.braid.gpu.engine.GpuEngine;
import dev.braid.gpu.engine.InferRequest;
import dev.braid.gpu.engine.InferResult;
import dev.braid.gpu.engine.LoadResult;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.gpu.sched.SchedulingPolicies;
import dev.braid.model.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine and its scheduler over CudaDevice on the emulated CUDA driver, under every policy,
 * with three zoo models loaded at once and requests of 1 to 3 rows interleaved: every answer
 * equals what its model gives alone (on the CPU device). This drives the real CUDA host path
 * (streams of several priorities, grouped super-kernels, events, pinned staging) as a GPU would,
 * on Braid's kernels compiled for the CPU.
 */
class EmulatedGpuEngineTest {
  static final String[] MODELS = {"mlp", "mobilenetv2", "bert"};
  @TempDir static Path repo;
  static ZooFixture zoo;
  static CudaDevice gpu;

  @BeforeAll
  static void open() {
    EmulatorGate.require();
    gpu = CudaDevice.open(0);
    zoo = new ZooFixture(repo, MODELS);
  }

  @AfterAll
  static void close() {
    if (gpu != null) {
      gpu.close();
    }
    if (zoo != null) {
      zoo.close();
    }
  }

  static List<String> policies() {
    return SchedulingPolicies.NAMES;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void everyAnswerEqualsItsModelAlone(String policy) throws Exception {
    ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    try {
      GpuEngine engine = GpuEngine.onExecutor(gpu, GpuSettings.defaults().withPolicy(policy).withProfilingRuns(1), owner);
      for (String m : MODELS) {
        CompletableFuture<LoadResult> loaded = new CompletableFuture<>();
        owner.execute(() -> engine.load(m, zoo.models.get(m), loaded::complete));
        assertInstanceOf(LoadResult.Loaded.class, loaded.get(120, TimeUnit.SECONDS), m);
      }
      List<String> names = new ArrayList<>();
      List<Map<String, Tensor>> inputs = new ArrayList<>();
      List<CompletableFuture<InferResult>> answers = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String model = MODELS[i % MODELS.length];
        Map<String, Tensor> in = zoo.inputs(model, 1 + i % 3, 100L * i + policy.hashCode());
        CompletableFuture<InferResult> answer = new CompletableFuture<>();
        long budget = TimeUnit.SECONDS.toNanos(120);
        int priority = i % 2;
        owner.execute(() -> engine.submit(new InferRequest(model, in, engine.clock().nanoTime() + budget, priority,
            answer::complete)));
        names.add(model);
        inputs.add(in);
        answers.add(answer);
      }
      CompletableFuture<Void> drained = new CompletableFuture<>();
      owner.execute(() -> engine.drain(() -> drained.complete(null)));
      drained.get(180, TimeUnit.SECONDS);
      for (int i = 0; i < answers.size(); i++) {
        InferResult r = answers.get(i).getNow(null);
        InferResult.Completed c = assertInstanceOf(InferResult.Completed.class, r, policy + " request " + i + ": " + r);
        EmulatorGate.assertClose(zoo.alone(names.get(i), inputs.get(i)), c.outputs(),
            policy + " request " + i + " (" + names.get(i) + ")");
      }
      EngineStats stats = owner.submit(engine::stats).get();
      assertEquals(6, stats.requestsCompleted());
      assertTrue(gpu.healthy());
      owner.submit(engine::close).get();
    } finally {
      owner.shutdownNow();
    }
  }
}
