package dev.braid.model.repo;

import static dev.braid.model.onnx.TestOnnx.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {
  private static final String REALISTIC = """
      name: "resnet"
      platform: "onnxruntime_onnx"
      max_batch_size: 8
      version_policy: { latest: { num_versions: 2 } }
      input [
        {
          name: "x"
          data_type: TYPE_FP32
          format: FORMAT_NCHW
          dims: [ 3, 4 ]
        }
      ]
      output [ { name: "y", data_type: TYPE_FP32, dims: [ 3, -1 ] } ]
      instance_group [ { count: 2, kind: KIND_GPU, gpus: [ 0, 1 ] }, { kind: KIND_CPU } ]
      dynamic_batching {
        preferred_batch_size: [ 4, 8 ]
        max_queue_delay_microseconds: 100
        priority_levels: 2
        default_priority_level: 1
        default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 5 }
      }
      optimization { graph { level: 1 } execution_accelerators { gpu_execution_accelerator: [ { name: "tensorrt" } ] } }
      model_warmup [
        { name: "warm" batch_size: 1 inputs { key: "x" value: { data_type: TYPE_FP32 dims: [3, 4] zero_data: true } } }
      ]
      parameters { key: "intra_op_thread_count" value: { string_value: "2" } }
      """;

  private static byte[] reluModel() {
    GraphProto g = GraphProto.newBuilder().setName("relu").addInput(value("x", FLOAT, "N", 3L, 4L))
        .addNode(node("Relu", "r", in("x"), in("y"))).addOutput(value("y", FLOAT, "N", 3L, 4L)).build();
    return model(13, g).toByteArray();
  }

  private static Path write(Path root, String model, String config, long... versions) throws Exception {
    Path dir = Files.createDirectories(root.resolve(model));
    if (config != null) {
      Files.writeString(dir.resolve("config.pbtxt"), config);
    }
    for (long v : versions) {
      Files.write(Files.createDirectories(dir.resolve(Long.toString(v))).resolve("model.onnx"), reluModel());
    }
    return dir;
  }

  @Test
  void realisticTritonConfigParsesSkippingUnmodelledBlocks() {
    ModelConfig c = ConfigParser.parse(REALISTIC, "resnet/config.pbtxt", "resnet");
    assertEquals(8, c.maxBatchSize());
    assertEquals(List.of(new TensorConfig("x", DType.FLOAT32, new long[] {3, 4})), c.inputs());
    assertArrayEquals(new long[] {3, -1}, c.outputs().get(0).dims());
    assertEquals(new VersionPolicy.Latest(2), c.versionPolicy());
    assertEquals(List.of(new InstanceGroup("resnet_0", InstanceGroup.Kind.GPU, 2, List.of(0, 1)),
        new InstanceGroup("resnet_1", InstanceGroup.Kind.CPU, 1, List.of())), c.instanceGroups());
    assertEquals(new DynamicBatching(List.of(4, 8), Duration.ofNanos(100_000), false, 2, 1), c.dynamicBatching());
    assertEquals("2", c.parameters().get("intra_op_thread_count"));
  }

  @Test
  void syntaxErrorNamesFileLineAndColumn() {
    ModelException e = assertThrows(ModelException.class,
        () -> ConfigParser.parse("name: \"m\"\nmax_batch_size: [oops\n", "m/config.pbtxt", "m"));
    assertTrue(e.getMessage().startsWith("m/config.pbtxt:2:"), e.getMessage());
    assertTrue(e.getMessage().contains("syntax error in model config (line 2, column"), e.getMessage());
  }

  @Test
  void wrongPlatformNamesFieldExpectedAndReceived() {
    ModelException e = assertThrows(ModelException.class,
        () -> ConfigParser.parse("platform: \"tensorflow_savedmodel\"", "m/config.pbtxt", "m"));
    assertEquals("m/config.pbtxt: field 'platform': expected 'onnxruntime_onnx' (Braid serves ONNX models only),"
        + " received 'tensorflow_savedmodel'", e.getMessage());
    assertNotNull(ConfigParser.parse("backend: \"onnxruntime\"", "m/config.pbtxt", "m"));
  }

  @Test
  void repositoryWithConfigLoadsSelectedVersions(@TempDir Path root) throws Exception {
    write(root, "resnet", REALISTIC.replace("output [ { name: \"y\", data_type: TYPE_FP32, dims: [ 3, -1 ] } ]", ""),
        1, 2, 3);
    RepositoryModel m = ModelRepository.open(root).load("resnet");
    assertEquals(List.of(2L, 3L), List.copyOf(m.versions().keySet()));
    assertEquals(3, m.latestVersion());
    assertEquals(8, m.config().maxBatchSize());
  }

  @Test
  void wrongDimsInConfigNameFieldExpectedAndReceived(@TempDir Path root) throws Exception {
    write(root, "m", "max_batch_size: 4\ninput [ { name: \"x\" data_type: TYPE_FP32 dims: [ 3, 5 ] } ]", 1);
    ModelException e = assertThrows(ModelException.class, () -> ModelRepository.open(root).load("m"));
    assertTrue(e.getMessage().contains("config.pbtxt: field 'input[0] ('x').dims': expected [3, 4] (from "), e.getMessage());
    assertTrue(e.getMessage().endsWith("without the batch dimension), received [3, 5]"), e.getMessage());
  }

  @Test
  void wrongDtypeAndUnknownInputAreNamed(@TempDir Path root) throws Exception {
    write(root, "a", "input [ { name: \"x\" data_type: TYPE_INT64 dims: [ -1, 3, 4 ] } ]", 1);
    write(root, "b", "input [ { name: \"z\" data_type: TYPE_FP32 dims: [ -1, 3, 4 ] } ]", 1);
    ModelRepository repo = ModelRepository.open(root);
    assertTrue(assertThrows(ModelException.class, () -> repo.load("a")).getMessage()
        .contains("field 'input[0] ('x').data_type': expected TYPE_FP32"));
    assertTrue(assertThrows(ModelException.class, () -> repo.load("b")).getMessage()
        .contains("field 'input[0].name': expected an input of"));
  }

  @Test
  void configListingNoTensorsIsCompletedFromTheModelAsTritonDoes(@TempDir Path root) throws Exception {
    write(root, "relu", "name: \"relu\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 2\n", 1);
    ModelConfig c = ModelRepository.open(root).load("relu").config();
    assertEquals(2, c.maxBatchSize());
    assertEquals(List.of("x"), c.inputs().stream().map(TensorConfig::name).toList());
    assertEquals(List.of("y"), c.outputs().stream().map(TensorConfig::name).toList());
    assertArrayEquals(new long[] {3, 4}, c.inputs().get(0).dims());
    assertEquals(DType.FLOAT32, c.outputs().get(0).dtype());
  }

  @Test
  void withoutConfigTheConfigIsDerivedFromTheModel(@TempDir Path root) throws Exception {
    write(root, "relu", null, 1, 7);
    RepositoryModel m = ModelRepository.open(root).load("relu");
    ModelConfig c = m.config();
    assertEquals("relu", c.name());
    assertEquals("onnxruntime_onnx", c.platform());
    assertEquals(4, c.maxBatchSize());
    assertArrayEquals(new long[] {3, 4}, c.inputs().get(0).dims());
    assertEquals(Duration.ZERO, c.dynamicBatching().maxQueueDelay());
    assertEquals(List.of(7L), List.copyOf(m.versions().keySet()));
  }

  @Test
  void missingModelNoVersionsAndMissingFileAreClearAndIsolated(@TempDir Path root) throws Exception {
    write(root, "good", null, 1);
    write(root, "empty", null);
    Path dir = write(root, "nofile", "default_model_filename: \"net.onnx\"", 1);
    write(root, "bad", "platform: \"pytorch_libtorch\"", 1);
    ModelRepository repo = ModelRepository.open(root);
    assertTrue(assertThrows(ModelException.class, () -> repo.load("ghost")).getMessage()
        .contains("model 'ghost' not found; available models: [bad, empty, good, nofile]"));
    assertTrue(assertThrows(ModelException.class, () -> repo.load("empty")).getMessage().contains("has no versions"));
    assertTrue(assertThrows(ModelException.class, () -> repo.load("nofile")).getMessage()
        .startsWith(dir.resolve("1").resolve("net.onnx") + ": model file missing"));
    ModelRepository.LoadResult all = repo.loadAll();
    assertEquals(List.of("good"), List.copyOf(all.loaded().keySet()));
    assertEquals(List.of("bad", "empty", "nofile"), List.copyOf(all.failed().keySet()));
  }

  @Test
  void specificVersionThatIsAbsentIsAnError(@TempDir Path root) throws Exception {
    write(root, "m", "version_policy: { specific: { versions: [ 2 ] } }", 1);
    assertTrue(assertThrows(ModelException.class, () -> ModelRepository.open(root).load("m")).getMessage()
        .contains("field 'version_policy.specific.versions': expected versions present"));
  }

  @Test
  void linksOutOfTheRepositoryAreRefusedUnlessFollowedAndLinksWithinItAreFine(@TempDir Path tmp) throws Exception {
    Path root = Files.createDirectories(tmp.resolve("repo"));
    Path store = Files.createDirectories(tmp.resolve("store"));
    write(root, "inside", null, 1);
    Path elsewhere = write(store, "elsewhere", null, 1);
    Files.createSymbolicLink(root.resolve("dirlink"), elsewhere); // the model's directory leads out
    Files.createSymbolicLink(root.resolve("alias"), root.resolve("inside")); // stays inside
    Path fileLink = Files.createDirectories(root.resolve("filelink").resolve("1"));
    Files.createSymbolicLink(fileLink.resolve("model.onnx"), elsewhere.resolve("1").resolve("model.onnx"));
    Files.createDirectories(root.resolve("configlink").resolve("1"));
    Files.copy(elsewhere.resolve("1").resolve("model.onnx"), root.resolve("configlink/1/model.onnx"));
    Files.writeString(store.resolve("config.pbtxt"), "max_batch_size: 4");
    Files.createSymbolicLink(root.resolve("configlink").resolve("config.pbtxt"), store.resolve("config.pbtxt"));

    ModelRepository strict = ModelRepository.open(root);
    assertEquals("inside", strict.load("inside").name());
    assertEquals("alias", strict.load("alias").name());
    for (String model : List.of("dirlink", "filelink", "configlink")) {
      String message = assertThrows(ModelException.class, () -> strict.load(model)).getMessage();
      assertTrue(message.contains("expected a file inside the model repository " + root.toRealPath())
          && message.contains("got a link to " + store.toRealPath())
          && message.contains("braid.model.repository.follow-links-out"), model + ": " + message);
    }
    assertEquals(List.of("alias", "inside"), List.copyOf(strict.loadAll().loaded().keySet()));

    ModelRepository following = ModelRepository.open(root, true);
    for (String model : List.of("dirlink", "filelink", "configlink")) {
      assertEquals(model, following.load(model).name());
    }
  }
}
