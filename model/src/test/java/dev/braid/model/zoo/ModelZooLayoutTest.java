package dev.braid.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.onnx.OnnxProto.ModelProto;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto.Dimension;
import dev.braid.model.onnx.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The repository layout, config.pbtxt and byte-for-byte determinism of generated models. */
class ModelZooLayoutTest {
  private static final ZooOptions SMALL = ZooOptions.defaults().withImageSize(32);

  @Test
  void writesTritonLayoutForEveryModel(@TempDir Path out) throws IOException {
    List<Path> dirs = ModelZoo.generate(out, SMALL);
    assertEquals(ModelZoo.MODEL_NAMES.stream().map(out::resolve).toList(), dirs);
    for (Path dir : dirs) {
      assertTrue(Files.isRegularFile(dir.resolve("config.pbtxt")), dir + "/config.pbtxt");
      ModelProto m = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("1/model.onnx")));
      assertEquals(dir.getFileName().toString(), m.getGraph().getName());
      for (ValueInfoProto v : concat(m.getGraph().getInputList(), m.getGraph().getOutputList())) {
        Dimension first = v.getType().getTensorType().getShape().getDim(0);
        assertEquals("batch", first.getDimParam(), dir.getFileName() + " " + v.getName());
      }
    }
    try (Stream<Path> files = Files.walk(out)) {
      assertEquals(8, files.filter(Files::isRegularFile).count(), "two files per model");
    }
  }

  @Test
  void configDescribesTheModelForTriton(@TempDir Path out) throws IOException {
    Path dir = ModelZoo.generate(out, SMALL.withModels("mlp", "resnet18")).get(0);
    String expected = """
        name: "mlp"
        platform: "onnxruntime_onnx"
        max_batch_size: 8
        input [
          {
            name: "input"
            data_type: TYPE_FP32
            dims: [ 784 ]
          }
        ]
        output [
          {
            name: "logits"
            data_type: TYPE_FP32
            dims: [ 10 ]
          }
        ]
        instance_group [
          {
            kind: KIND_GPU
            count: 1
          }
        ]
        dynamic_batching {
          preferred_batch_size: [ 4, 8 ]
          max_queue_delay_microseconds: 100
        }
        """;
    assertEquals(expected, Files.readString(dir.resolve("config.pbtxt")));
    String resnet = Files.readString(out.resolve("resnet18/config.pbtxt"));
    assertTrue(resnet.contains("dims: [ 3, 32, 32 ]"), resnet);
    assertTrue(resnet.contains("dims: [ 1000 ]"), resnet);
  }

  @Test
  void sameSeedGivesByteIdenticalFilesAndAnotherSeedDoesNot(@TempDir Path out) throws IOException {
    ModelZoo.generate(out.resolve("a"), SMALL);
    ModelZoo.generate(out.resolve("b"), SMALL);
    ModelZoo.generate(out.resolve("c"), SMALL.withSeed(43).withModels("mlp"));
    for (String name : ModelZoo.MODEL_NAMES) {
      for (String file : List.of("config.pbtxt", "1/model.onnx")) {
        assertArrayEquals(
            read(out, "a", name, file), read(out, "b", name, file), name + "/" + file);
      }
    }
    assertFalse(java.util.Arrays.equals(
        read(out, "a", "mlp", "1/model.onnx"), read(out, "c", "mlp", "1/model.onnx")));
  }

  @Test
  void aModelsBytesDoNotDependOnItsCompanions(@TempDir Path out) throws IOException {
    ModelZoo.generate(out.resolve("all"), SMALL);
    ModelZoo.generate(out.resolve("one"), SMALL.withModels("bert"));
    assertArrayEquals(read(out, "all", "bert", "1/model.onnx"),
        read(out, "one", "bert", "1/model.onnx"));
  }

  private static byte[] read(Path out, String run, String model, String file) throws IOException {
    return Files.readAllBytes(out.resolve(run).resolve(model).resolve(file));
  }

  private static List<ValueInfoProto> concat(List<ValueInfoProto> a, List<ValueInfoProto> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }
}
