package dev.braid.model.repo;

import static dev.braid.model.onnx.TestOnnx.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models that do not batch ({@code max_batch_size: 0}), as Triton serves them: derived for a model
 * without a dynamic first dimension, bound at the declared full shapes (never at a batch of 1 with
 * a dimension prepended), dynamic dimensions fixed by the config's dims or refused naming them.
 */
class NonBatchingModelTest {
  private static void write(Path root, String model, String config, GraphProto g) throws Exception {
    Path dir = Files.createDirectories(root.resolve(model));
    if (config != null) {
      Files.writeString(dir.resolve("config.pbtxt"), config);
    }
    Files.write(Files.createDirectories(dir.resolve("1")).resolve("model.onnx"), model(13, g).toByteArray());
  }

  /** x[3, 4] + y[4] = z[3, 4]: no input has a dynamic first dimension. */
  private static GraphProto fixedAdd() {
    return GraphProto.newBuilder().setName("add").addInput(value("x", FLOAT, 3L, 4L)).addInput(value("y", FLOAT, 4L))
        .addNode(node("Add", "a", in("x", "y"), in("z"))).addOutput(value("z", FLOAT, 3L, 4L)).build();
  }

  /** x[N, S] -> Relu -> y[N, S]: both dimensions symbolic. */
  private static GraphProto symbolicRelu() {
    return GraphProto.newBuilder().setName("relu").addInput(value("x", FLOAT, "N", "S"))
        .addNode(node("Relu", "r", in("x"), in("y"))).addOutput(value("y", FLOAT, "N", "S")).build();
  }

  private static String config(String dims) {
    return "name: \"relu\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 0\n"
        + "input [ { name: \"x\", data_type: TYPE_FP32, dims: " + dims + " } ]\n"
        + "output [ { name: \"y\", data_type: TYPE_FP32, dims: [ -1, -1 ] } ]\n";
  }

  @Test
  void fixedFirstDimensionDerivesANonBatchingConfigWithFullShapes(@TempDir Path root) throws Exception {
    write(root, "add", null, fixedAdd());
    RepositoryModel m = ModelRepository.open(root).load("add");
    assertEquals(0, m.config().maxBatchSize());
    assertFalse(m.batching());
    assertArrayEquals(new long[] {3, 4}, m.config().inputs().get(0).dims());
    assertArrayEquals(new long[] {4}, m.config().inputs().get(1).dims());
    assertArrayEquals(new long[] {3, 4}, m.config().outputs().get(0).dims());
  }

  @Test
  void nonBatchingModelBindsAtItsDeclaredShapesNotAtABatch(@TempDir Path root) throws Exception {
    write(root, "add", null, fixedAdd());
    RepositoryModel m = ModelRepository.open(root).load("add");
    ModelGraph g = m.bind(1);
    assertEquals(Shape.of(3, 4), g.shape("x"));
    assertEquals(Shape.of(4), g.shape("y"), "an input whose first dimension differs keeps its declared shape");
    assertEquals(Shape.of(3, 4), g.shape("z"));
    assertEquals(1, g.batchSize(), "one request is one job");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.bind(2));
    assertTrue(e.getMessage().contains("does not batch (max_batch_size 0); expected batch size 1, received 2"),
        e.getMessage());
  }

  @Test
  void configDimsFixTheDynamicDimensionsOfANonBatchingModel(@TempDir Path root) throws Exception {
    write(root, "relu", config("[ 5, 7 ]"), symbolicRelu());
    ModelGraph g = ModelRepository.open(root).load("relu").bind(1);
    assertEquals(Shape.of(5, 7), g.shape("x"));
    assertEquals(Shape.of(5, 7), g.shape("y"), "the output's parameters resolve from the fixed input");
  }

  @Test
  void aDimensionNeitherModelNorConfigFixesIsRefusedNamingInputAndDimension(@TempDir Path root) throws Exception {
    write(root, "relu", config("[ 2, -1 ]"), symbolicRelu());
    RepositoryModel m = ModelRepository.open(root).load("relu");
    ModelException e = assertThrows(ModelException.class, () -> m.bind(1));
    assertTrue(e.getMessage().contains("input 'x' dimension 1 ('S') is dynamic in a model that does not batch"
        + " (max_batch_size 0)"), e.getMessage());
    assertTrue(e.getMessage().contains("give its size in the config.pbtxt dims of input 'x'"), e.getMessage());
  }

  @Test
  void aDynamicFirstDimensionOfANonBatchingModelSaysHowToLetItBatch(@TempDir Path root) throws Exception {
    write(root, "relu", config("[ -1, 3 ]"), symbolicRelu());
    ModelException e = assertThrows(ModelException.class, () -> ModelRepository.open(root).load("relu").bind(1));
    assertTrue(e.getMessage().contains("input 'x' dimension 0 ('N') is dynamic"), e.getMessage());
    assertTrue(e.getMessage().contains("or let the model batch (max_batch_size > 0)"), e.getMessage());
  }

  @Test
  void batchingModelsBindAtTheirBatchAsBefore(@TempDir Path root) throws Exception {
    write(root, "relu", null, symbolicRelu());
    ModelException e = assertThrows(ModelException.class, () -> ModelRepository.open(root).load("relu").bind(2));
    assertTrue(e.getMessage().contains("dimension 1 ('S') is dynamic and cannot be resolved: give its size in the"
        + " config.pbtxt dims of input 'x'"), e.getMessage());
  }

  @Test
  void batchingModelsTakeTheirOtherDynamicDimensionsFromTheConfigDims(@TempDir Path root) throws Exception {
    write(root, "relu", "name: \"relu\"\nmax_batch_size: 8\n"
        + "input [ { name: \"x\", data_type: TYPE_FP32, dims: [ 7 ] } ]\n"
        + "output [ { name: \"y\", data_type: TYPE_FP32, dims: [ 7 ] } ]\n", symbolicRelu());
    ModelGraph g = ModelRepository.open(root).load("relu").bind(2);
    assertEquals(Shape.of(2, 7), g.shape("x"), "the batch from the caller, 'S' from the config's dims");
    assertEquals(Shape.of(2, 7), g.shape("y"));
  }
}
