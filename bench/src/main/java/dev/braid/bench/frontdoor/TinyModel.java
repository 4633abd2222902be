package dev.braid.bench.frontdoor;

import com.google.protobuf.ByteString;
import dev.braid.model.DType;
import dev.braid.model.onnx.OnnxModelBuilder;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The trivial model the front door serves in {@code bench frontdoor}: {@code y = Relu(x + c)} over
 * 4 floats, max_batch_size 8, dynamic batching with no queue delay (a request runs as soon as the
 * device is free, together with whatever else queued meanwhile). Its run is a few microseconds, so
 * the benchmark measures the path around it: gRPC, the service, the GPU actor and back.
 */
final class TinyModel {
  static final String NAME = "tiny";
  static final String INPUT = "x";
  static final String OUTPUT = "y";
  static final int WIDTH = 4;
  static final int MAX_BATCH_SIZE = 8;

  private TinyModel() {}

  /** Writes the model as {@code root/tiny/{config.pbtxt, 1/model.onnx}}; returns {@code root}. */
  static Path writeRepository(Path root) throws IOException {
    OnnxModelBuilder b = new OnnxModelBuilder(NAME).input(INPUT, DType.FLOAT32, "batch", WIDTH);
    String c = b.initializer("c", new float[] {0.5f, -0.5f, 1f, -1f}, WIDTH);
    String sum = b.node("Add", INPUT, c);
    b.node("Relu", List.of(sum), List.of(OUTPUT), Map.of());
    b.output(OUTPUT, DType.FLOAT32, "batch", WIDTH);
    Path dir = root.resolve(NAME);
    Files.createDirectories(dir.resolve("1"));
    b.write(dir.resolve("1/model.onnx"));
    String config = "name: \"" + NAME + "\"\n"
        + "platform: \"onnxruntime_onnx\"\n"
        + "max_batch_size: " + MAX_BATCH_SIZE + "\n"
        + "input [\n  {\n    name: \"" + INPUT + "\"\n    data_type: TYPE_FP32\n    dims: [ " + WIDTH + " ]\n  }\n]\n"
        + "output [\n  {\n    name: \"" + OUTPUT + "\"\n    data_type: TYPE_FP32\n    dims: [ " + WIDTH + " ]\n  }\n]\n"
        + "dynamic_batching {\n  max_queue_delay_microseconds: 0\n}\n";
    Files.writeString(dir.resolve("config.pbtxt"), config, StandardCharsets.UTF_8);
    return root;
  }

  /** The one request both servers get: one row of 4 floats as raw little-endian bytes. */
  static ModelInferRequest request() {
    return ModelInferRequest.newBuilder()
        .setModelName(NAME)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
            .setName(INPUT).setDatatype("FP32").addShape(1).addShape(WIDTH))
        .addRawInputContents(floats(1f, 2f, -3f, 0.25f))
        .build();
  }

  /** What the bare server answers every call with: the model's answer to {@link #request()}. */
  static ModelInferResponse fixedResponse() {
    return ModelInferResponse.newBuilder()
        .setModelName(NAME)
        .setModelVersion("1")
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder()
            .setName(OUTPUT).setDatatype("FP32").addShape(1).addShape(WIDTH))
        .addRawOutputContents(floats(1.5f, 1.5f, 0f, 0f))
        .build();
  }

  private static ByteString floats(float... v) {
    ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(v);
    return ByteString.copyFrom(buf.array());
  }
}
