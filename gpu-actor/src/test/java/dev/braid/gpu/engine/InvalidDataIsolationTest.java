package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxModelBuilder;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.cluster.FailureReason;
import java.nio.file.Files;
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
 * A request whose data a kernel cannot take (a Gather index out of range, as an out-of-vocabulary
 * token id would be) fails only itself: batched with valid requests, its batch fails as a whole
 * on the device, and the engine runs each member again by itself, so that the others get their
 * own outputs and only it is answered INVALID_INPUT, naming the node and the value. The model and
 * the device serve on.
 */
class InvalidDataIsolationTest {
  /** Rows 0..9 of a 10 x 4 table holding 0..39: row r is {4r, 4r+1, 4r+2, 4r+3}. */
  static final int ROWS = 10;

  @Test
  void aBadIndexFailsItsOwnRequestNotItsBatchmates(@TempDir Path repo) throws Exception {
    writeGatherModel(repo);
    ModelRepository repository = ModelRepository.open(repo);
    ScheduledExecutorService owner = Executors.newSingleThreadScheduledExecutor();
    try (CpuDevice cpu = new CpuDevice(2)) {
      GpuEngine engine = GpuEngine.onExecutor(cpu, GpuSettings.defaults(), owner);
      CompletableFuture<LoadResult> loaded = new CompletableFuture<>();
      owner.execute(() -> engine.load("gather", repository.load("gather"), loaded::complete));
      assertInstanceOf(LoadResult.Loaded.class, loaded.get(60, TimeUnit.SECONDS));

      long[][] indices = {{1, 2}, {3, 50}, {9, -1}, {0, 4}};
      List<CompletableFuture<InferResult>> answers = submitTogether(engine, owner, indices);
      for (int i = 0; i < indices.length; i++) {
        InferResult r = answers.get(i).get(60, TimeUnit.SECONDS);
        if (i == 1) {
          InferResult.Failed f = assertInstanceOf(InferResult.Failed.class, r);
          assertEquals(FailureReason.INVALID_INPUT, f.reason(), f.message());
          assertTrue(f.message().contains("node 'Gather'") && f.message().contains("index 50.0"), f.message());
        } else {
          InferResult.Completed done = assertInstanceOf(InferResult.Completed.class, r, "request " + i + ": " + r);
          assertArrayEquals(expected(indices[i]), done.outputs().get("y").floats(), "request " + i + "'s own rows");
        }
      }
      EngineStats stats = owner.submit(engine::stats).get();
      assertEquals(1 + indices.length, stats.batches(), "one batch of four, then each of the four by itself");

      // The model serves on: a batch of valid requests runs as one batch again.
      long[][] valid = {{5, 6}, {7, 8}, {2, 2}, {1, 0}};
      List<CompletableFuture<InferResult>> after = submitTogether(engine, owner, valid);
      for (int i = 0; i < valid.length; i++) {
        InferResult.Completed done = assertInstanceOf(InferResult.Completed.class, after.get(i).get(60, TimeUnit.SECONDS));
        assertArrayEquals(expected(valid[i]), done.outputs().get("y").floats());
      }
      assertEquals(2 + indices.length, owner.submit(engine::stats).get().batches());
      assertTrue(cpu.healthy());
      owner.submit(engine::close).get();
    } finally {
      owner.shutdownNow();
    }
  }

  /** Submits one request per row of {@code indices} in one task, so that they queue together. */
  private static List<CompletableFuture<InferResult>> submitTogether(GpuEngine engine, ScheduledExecutorService owner,
      long[][] indices) {
    List<CompletableFuture<InferResult>> answers = new ArrayList<>();
    List<InferRequest> requests = new ArrayList<>();
    for (long[] idx : indices) {
      CompletableFuture<InferResult> answer = new CompletableFuture<>();
      Map<String, Tensor> in = Map.of("idx", Tensor.ofLongs(DType.INT64, Shape.of(1, 2), idx));
      requests.add(new InferRequest("gather", in, Long.MAX_VALUE, 0, answer::complete));
      answers.add(answer);
    }
    owner.execute(() -> requests.forEach(engine::submit));
    return answers;
  }

  private static float[] expected(long[] idx) {
    float[] y = new float[idx.length * 4];
    for (int j = 0; j < idx.length; j++) {
      long row = idx[j] < 0 ? idx[j] + ROWS : idx[j];
      for (int c = 0; c < 4; c++) {
        y[4 * j + c] = 4 * row + c;
      }
    }
    return y;
  }

  /** Gather(table, idx) over a batch of index pairs; a batch forms at four requests (or after 10 s). */
  private static void writeGatherModel(Path repo) throws Exception {
    OnnxModelBuilder b = new OnnxModelBuilder("gather");
    b.input("idx", DType.INT64, "batch", 2);
    float[] table = new float[ROWS * 4];
    for (int i = 0; i < table.length; i++) {
      table[i] = i;
    }
    String data = b.initializer("table", table, ROWS, 4);
    b.node("Gather", List.of(data, "idx"), List.of("y"), Map.of());
    b.output("y", DType.FLOAT32, "batch", 2, 4);
    b.write(Files.createDirectories(repo.resolve("gather/1")).resolve("model.onnx"));
    Files.writeString(repo.resolve("gather/config.pbtxt"), """
        name: "gather"
        max_batch_size: 8
        input [ { name: "idx" data_type: TYPE_INT64 dims: [ 2 ] } ]
        output [ { name: "y" data_type: TYPE_FP32 dims: [ 2, 4 ] } ]
        dynamic_batching { preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 10000000 }
        """);
  }
}
