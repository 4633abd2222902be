package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SharedWeightsTest {
  private final CpuDevice device = new CpuDevice(1, 1 << 26);

  @AfterEach
  void close() {
    device.close();
  }

  @Test
  void oneModelAtSeveralBatchSizesUploadsItsWeightsOnce() {
    ModelGraph b1 = SmallModels.mlp("m", 1, 16, 32, 8, 7);
    ModelGraph b4 = SmallModels.mlp("m", 4, 16, 32, 8, 7);
    SharedWeights weights = new SharedWeights(device, "m");
    CompiledModel m1 = ModelExecutor.compile(b1, device, weights);
    long afterFirst = device.allocatedBytes();
    CompiledModel m4 = ModelExecutor.compile(b4, device, weights);
    assertEquals(afterFirst, device.allocatedBytes(), "the second batch size adds no weights");
    assertEquals(afterFirst, weights.residentBytes());
    assertEquals(m1.weightsBytes(), m4.weightsBytes());
    assertEquals(4, weights.constantCount());

    try (CompiledModel alone = ModelExecutor.compile(b4, device)) {
      Map<String, Tensor> in = SmallModels.inputs(b4, 3);
      float[] shared = m4.run(in).toCompletableFuture().join().get("y").floats();
      float[] own = alone.run(in).toCompletableFuture().join().get("y").floats();
      assertArrayEquals(own, shared, 0f);
    }
    weights.close();
    assertEquals(0, device.allocatedBytes(), "closing the shared weights frees them");
    assertTrue(m1.isClosed() && m4.isClosed(), "and closes every model compiled against them");
  }

  @Test
  void constantsWithTheSameNameButOtherContentsGetTheirOwnSlot() {
    SharedWeights weights = new SharedWeights(device, "m");
    CompiledModel a = ModelExecutor.compile(SmallModels.mlp("m", 1, 16, 32, 8, 7), device, weights);
    long afterFirst = weights.residentBytes();
    CompiledModel b = ModelExecutor.compile(SmallModels.mlp("m", 1, 16, 32, 8, 8), device, weights);
    assertEquals(2 * afterFirst, weights.residentBytes(), "other seed, other weights: uploaded beside the first");
    ModelGraph g = SmallModels.mlp("m", 1, 16, 32, 8, 8);
    Map<String, Tensor> in = SmallModels.inputs(g, 1);
    try (CompiledModel alone = ModelExecutor.compile(g, device)) {
      assertArrayEquals(alone.run(in).toCompletableFuture().join().get("y").floats(),
          b.run(in).toCompletableFuture().join().get("y").floats(), 0f);
    }
    weights.close();
    assertTrue(a.isClosed());
  }

  @Test
  void closingRefusesWhileARequestIsLiveAndFreesNothing() {
    ModelGraph g = SmallModels.mlp("m", 2, 16, 32, 8, 7);
    SharedWeights weights = new SharedWeights(device, "m");
    CompiledModel m = ModelExecutor.compile(g, device, weights);
    ModelRun r = m.start(SmallModels.inputs(g, 1)).toCompletableFuture().join();
    long before = device.allocatedBytes();
    IllegalStateException e = assertThrows(IllegalStateException.class, weights::close);
    assertTrue(e.getMessage().contains("1 live request"), e.getMessage());
    assertEquals(before, device.allocatedBytes());
    r.abort();
    weights.close();
    weights.close();
    assertEquals(0, device.allocatedBytes());
  }
}
