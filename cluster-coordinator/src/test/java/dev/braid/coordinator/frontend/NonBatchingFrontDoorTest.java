package dev.braid.coordinator.frontend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models that do not batch through the front door, as a Triton client meets them: ONNX's own
 * {@code test_add} (fixed shapes, so its derived config has {@code max_batch_size: 0}), {@code
 * test_identity} and {@code test_constant} (graphs that lower to no kernel) served without a config
 * beside the zoo's batching mlp, on one CPU device. The metadata gives full shapes without a -1
 * batch, requests carry the full shape, a request at another shape is INVALID_ARGUMENT naming
 * input, expected and received, and answers equal ONNX's expected outputs.
 */
class NonBatchingFrontDoorTest {
  static final Path NODE = Path.of("/usr/share/libonnx-testdata/data/node");
  static final String[] CASES = {"test_add", "test_identity", "test_constant"};

  @Test
  void nonBatchingModelsServeAtTheirFullShapesBesideABatchingOne(@TempDir Path repo) throws Exception {
    assumeTrue(Files.isDirectory(NODE), "libonnx-testdata is not installed");
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp"));
    for (String c : CASES) {
      Files.copy(NODE.resolve(c).resolve("model.onnx"),
          Files.createDirectories(repo.resolve(c).resolve("1")).resolve("model.onnx"));
    }
    try (SingleNode node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0), ConfigFactory.load(), "test")) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", node.grpcPort()).usePlaintext().build();
      try {
        var blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);

        ModelMetadataResponse add = blocking.modelMetadata(ModelMetadataRequest.newBuilder().setName("test_add")
            .build());
        assertEquals(List.of(3L, 4L, 5L), add.getInputs(0).getShapeList(), "full shape, no -1 batch");
        assertEquals(List.of(3L, 4L, 5L), add.getOutputs(0).getShapeList());
        ModelMetadataResponse mlp = blocking.modelMetadata(ModelMetadataRequest.newBuilder().setName("mlp").build());
        assertEquals(List.of(-1L, 784L), mlp.getInputs(0).getShapeList(), "the batching model keeps its -1");

        for (int round = 0; round < 2; round++) {
          for (String c : CASES) {
            ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName(c);
            for (TensorProto t : tensors(c, "input")) {
              r.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(t.getName()).setDatatype("FP32")
                  .addAllShape(t.getDimsList())).addRawInputContents(rawFloats(t));
            }
            ModelInferResponse answer = blocking.modelInfer(r.build());
            List<TensorProto> expected = tensors(c, "output");
            assertEquals(expected.size(), answer.getOutputsCount(), c);
            for (int i = 0; i < expected.size(); i++) {
              TensorProto e = expected.get(i);
              assertEquals(e.getName(), answer.getOutputs(i).getName(), c);
              assertEquals(e.getDimsList(), answer.getOutputs(i).getShapeList(), c);
              assertArrayEquals(floats(rawFloats(e)), floats(answer.getRawOutputContents(i)), c + " " + e.getName());
            }
          }
          float[] row = new float[784];
          row[3] = 1;
          ModelInferResponse m = blocking.modelInfer(ModelInferRequest.newBuilder().setModelName("mlp")
              .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32")
                  .addShape(2).addShape(784)).addRawInputContents(raw(row, row)).build());
          assertEquals(List.of(2L, 10L), m.getOutputs(0).getShapeList(), "the batching model answers its rows");
        }

        TensorProto x = tensors("test_add", "input").get(0);
        TensorProto y = tensors("test_add", "input").get(1);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking.modelInfer(
            ModelInferRequest.newBuilder().setModelName("test_add")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32")
                    .addShape(1).addShape(3).addShape(4).addShape(5))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("y").setDatatype("FP32")
                    .addAllShape(y.getDimsList()))
                .addRawInputContents(rawFloats(x)).addRawInputContents(rawFloats(y)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
        assertTrue(e.getStatus().getDescription().contains(
            "model 'test_add': input 'x': expected shape [3, 4, 5], received [1, 3, 4, 5]"), e.toString());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  static List<TensorProto> tensors(String c, String kind) throws Exception {
    List<TensorProto> out = new ArrayList<>();
    Path set = NODE.resolve(c).resolve("test_data_set_0");
    for (int k = 0; Files.exists(set.resolve(kind + "_" + k + ".pb")); k++) {
      out.add(TensorProto.parseFrom(Files.readAllBytes(set.resolve(kind + "_" + k + ".pb"))));
    }
    return out;
  }

  /** The tensor's float32 values as raw little-endian bytes, as OIP's raw contents carry them. */
  static ByteString rawFloats(TensorProto t) {
    assertEquals(TensorProto.DataType.FLOAT_VALUE, t.getDataType(), t.getName());
    if (!t.getRawData().isEmpty()) {
      return t.getRawData();
    }
    float[] v = new float[t.getFloatDataCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.getFloatData(i);
    }
    return raw(v);
  }

  static ByteString raw(float[]... rows) {
    int n = 0;
    for (float[] r : rows) {
      n += r.length;
    }
    ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] r : rows) {
      for (float f : r) {
        b.putFloat(f);
      }
    }
    return ByteString.copyFrom(b.array());
  }

  static float[] floats(ByteString raw) {
    float[] v = new float[raw.size() / 4];
    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return v;
  }
}
