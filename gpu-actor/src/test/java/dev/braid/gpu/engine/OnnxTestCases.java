package dev.braid.gpu.engine;

import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cases of ONNX's backend test data (Debian's {@code libonnx-testdata}) copied into a Triton model
 * repository without a config, as a new user serves them; float32 tensors only (the cases the GPU
 * actor's tests use).
 */
public final class OnnxTestCases {
  public static final Path NODE = Path.of("/usr/share/libonnx-testdata/data/node");

  private OnnxTestCases() {}

  /** True when the package is installed (tests skip otherwise). */
  public static boolean installed() {
    return Files.isDirectory(NODE);
  }

  /** Copies {@code node/<case>/model.onnx} to {@code repo/<case>/1/model.onnx}. */
  public static void copy(Path repo, String... cases) throws IOException {
    for (String c : cases) {
      Path dir = Files.createDirectories(repo.resolve(c).resolve("1"));
      Files.copy(NODE.resolve(c).resolve("model.onnx"), dir.resolve("model.onnx"));
    }
  }

  /** The tensors {@code input_K.pb} or {@code output_K.pb} of the case's first data set, by name. */
  public static Map<String, Tensor> tensors(String c, String kind) throws IOException {
    Map<String, Tensor> out = new LinkedHashMap<>();
    Path set = NODE.resolve(c).resolve("test_data_set_0");
    for (int k = 0; Files.exists(set.resolve(kind + "_" + k + ".pb")); k++) {
      TensorProto t = TensorProto.parseFrom(Files.readAllBytes(set.resolve(kind + "_" + k + ".pb")));
      if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
        throw new IllegalArgumentException(c + ": " + t.getName() + " is not float32");
      }
      List<Long> dims = t.getDimsList();
      int[] shape = dims.stream().mapToInt(Long::intValue).toArray();
      float[] data;
      if (!t.getRawData().isEmpty()) {
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        data = new float[b.remaining() / 4];
        b.asFloatBuffer().get(data);
      } else {
        data = new float[t.getFloatDataCount()];
        for (int i = 0; i < data.length; i++) {
          data[i] = t.getFloatData(i);
        }
      }
      out.put(t.getName(), Tensor.ofFloats(DType.FLOAT32, Shape.of(shape), data));
    }
    return out;
  }
}
