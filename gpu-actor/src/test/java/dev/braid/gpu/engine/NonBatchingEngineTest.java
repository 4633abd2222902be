package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
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

/**
 * ONNX's own single-operator cases served by the engine on the CPU device without a config: each
 * has fixed shapes, so it does not batch ({@code max_batch_size: 0}) and every request is one job
 * at the declared shapes; a lone Identity or Constant lowers to no kernel and is answered without a
 * launch. Answers must equal the expected outputs exactly (Add is one float add per element).
 */
class NonBatchingEngineTest {
  static final String[] CASES = {"test_add", "test_identity", "test_constant"};

  @Test
  void fixedShapeModelsAndModelsWithoutKernelsAnswerTheirExpectedOutputs(@TempDir Path repo) throws Exception {
    assumeTrue(OnnxTestCases.installed(), "libonnx-testdata is not installed");
    OnnxTestCases.copy(repo, CASES);
    ModelRepository repository = ModelRepository.open(repo);
    ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    try (CpuDevice cpu = new CpuDevice(2)) {
      GpuEngine engine = GpuEngine.onExecutor(cpu, GpuSettings.defaults(), owner);
      for (String c : CASES) {
        CompletableFuture<LoadResult> loaded = new CompletableFuture<>();
        owner.execute(() -> engine.load(c, repository.load(c), loaded::complete));
        LoadResult.Loaded l = assertInstanceOf(LoadResult.Loaded.class, loaded.get(60, TimeUnit.SECONDS), c);
        assertEquals(1, l.maxBatchSize(), c + " does not batch");
      }
      List<CompletableFuture<InferResult>> answers = new ArrayList<>();
      for (int i = 0; i < 3 * CASES.length; i++) {
        String c = CASES[i % CASES.length];
        Map<String, Tensor> in = OnnxTestCases.tensors(c, "input");
        CompletableFuture<InferResult> answer = new CompletableFuture<>();
        owner.execute(() -> engine.submit(new InferRequest(c, in, Long.MAX_VALUE, 0, answer::complete)));
        answers.add(answer);
      }
      for (int i = 0; i < answers.size(); i++) {
        String c = CASES[i % CASES.length];
        InferResult r = answers.get(i).get(60, TimeUnit.SECONDS);
        InferResult.Completed done = assertInstanceOf(InferResult.Completed.class, r, c + ": " + r);
        Map<String, Tensor> expected = OnnxTestCases.tensors(c, "output");
        assertEquals(expected.keySet(), done.outputs().keySet(), c);
        for (String out : expected.keySet()) {
          assertEquals(expected.get(out).shape(), done.outputs().get(out).shape(), c + " " + out);
          assertArrayEquals(expected.get(out).floats(), done.outputs().get(out).floats(), c + " " + out);
        }
      }
      EngineStats stats = owner.submit(engine::stats).get();
      assertEquals(3 * CASES.length, stats.batches(), "one request is one job: no batch formed");

      // A request at a batch of the declared shape is refused naming the input and both shapes.
      Tensor x = OnnxTestCases.tensors("test_add", "input").get("x");
      Map<String, Tensor> wrong = Map.of("x", Tensor.ofFloats(x.dtype(), Shape.of(1, 3, 4, 5), x.floats()),
          "y", OnnxTestCases.tensors("test_add", "input").get("y"));
      CompletableFuture<InferResult> refused = new CompletableFuture<>();
      owner.execute(() -> engine.submit(new InferRequest("test_add", wrong, Long.MAX_VALUE, 0, refused::complete)));
      InferResult.Failed f = assertInstanceOf(InferResult.Failed.class, refused.get(10, TimeUnit.SECONDS));
      assertEquals(FailureReason.INVALID_INPUT, f.reason());
      assertTrue(f.message().contains("input 'x' expected shape [3, 4, 5], received [1, 3, 4, 5]"), f.message());
      owner.submit(engine::close).get();
    } finally {
      owner.shutdownNow();
    }
  }
}
