package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.DType;
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
 * A model whose Reshape target shape is a graph input (ONNX's {@code test_reshape_reduced_dims}:
 * data [2, 3, 4], shape [2]) served by the engine on the CPU device: it loads without a plan, each
 * distinct shape value is compiled on first use into a cache of two plans here ({@code
 * braid.model.specializations = 2}), requests of different keys run as jobs of their own, and a
 * shape the model cannot take fails that request only, with INVALID_INPUT naming the input and its
 * value, while the requests around it are answered.
 */
class SpecializedEngineTest {
  static final String CASE = "test_reshape_reduced_dims";

  @Test
  void eachShapeValueGetsItsPlanTheCacheStaysBoundedAndABadValueFailsOnlyItsRequest(@TempDir Path repo)
      throws Exception {
    assumeTrue(OnnxTestCases.installed(), "libonnx-testdata is not installed");
    OnnxTestCases.copy(repo, CASE);
    ModelRepository repository = ModelRepository.open(repo);
    ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    System.setProperty("braid.model.specializations", "2");
    ConfigFactory.invalidateCaches();
    try (CpuDevice cpu = new CpuDevice(2)) {
      GpuEngine engine = GpuEngine.onExecutor(cpu, GpuSettings.defaults(), owner);
      CompletableFuture<LoadResult> loaded = new CompletableFuture<>();
      owner.execute(() -> engine.load(CASE, repository.load(CASE), loaded::complete));
      assertInstanceOf(LoadResult.Loaded.class, loaded.get(60, TimeUnit.SECONDS));

      float[] data = new float[24];
      for (int i = 0; i < data.length; i++) {
        data[i] = i * 0.5f - 3;
      }
      Tensor x = Tensor.ofFloats(DType.FLOAT32, Shape.of(2, 3, 4), data);
      // Distinct values of the same target shape (the model declares its output [2, 12]); [4, 6]
      // contradicts that declaration and [5, 5] the data's 24 elements.
      long[][] shapes = {{2, 12}, {-1, 12}, {4, 6}, {2, 12}, {2, -1}, {0, 12}, {-1, 12}, {5, 5}};
      List<CompletableFuture<InferResult>> answers = new ArrayList<>();
      for (long[] s : shapes) {
        Map<String, Tensor> in = Map.of("data", x, "shape", Tensor.ofLongs(DType.INT64, Shape.of(2), s));
        CompletableFuture<InferResult> answer = new CompletableFuture<>();
        owner.execute(() -> engine.submit(new InferRequest(CASE, in, Long.MAX_VALUE, 0, answer::complete)));
        answers.add(answer);
      }
      int good = 0;
      for (int i = 0; i < shapes.length; i++) {
        InferResult r = answers.get(i).get(60, TimeUnit.SECONDS);
        String key = "shape=[" + shapes[i][0] + ", " + shapes[i][1] + "]";
        if (shapes[i][0] == 4 || shapes[i][0] == 5) {
          InferResult.Failed f = assertInstanceOf(InferResult.Failed.class, r, key);
          assertEquals(FailureReason.INVALID_INPUT, f.reason());
          assertTrue(f.message().contains("model '" + CASE + "' cannot run at " + key), f.message());
          assertTrue(f.message().contains(shapes[i][0] == 4 ? "declared as FLOAT [2, 12] but inference gives FLOAT"
              + " [4, 6]" : "cannot reshape [2, 3, 4] (24 elements) to [5, 5] (25 elements)"), f.message());
          continue;
        }
        good++;
        InferResult.Completed done = assertInstanceOf(InferResult.Completed.class, r, key + ": " + r);
        Tensor y = done.outputs().get("reshaped");
        assertEquals(Shape.of(2, 12), y.shape(), key);
        assertArrayEquals(data, y.floats(), key);
      }
      EngineStats stats = owner.submit(engine::stats).get();
      assertEquals(good, stats.batches(), "one request is one job: no two keys share a batch");
      assertEquals(List.of(CASE), stats.models(), "the bad value left the model serving");
      SpecializationCounts counts = owner.submit(engine::specializations).get().get(CASE);
      // Keys in order: [2,12], [-1,12], ([4,6] fails), [2,12] a hit, [2,-1] evicts [-1,12], [0,12]
      // evicts [2,12], [-1,12] compiled again evicts [2,-1], ([5,5] fails).
      assertEquals(5, counts.compiles());
      assertEquals(2, counts.compileFailures());
      assertEquals(3, counts.evictions());
      assertEquals(1, counts.hits());
      assertEquals(2, counts.held());
      owner.submit(engine::close).get();
    } finally {
      System.clearProperty("braid.model.specializations");
      ConfigFactory.invalidateCaches();
      owner.shutdownNow();
    }
  }
}
