package dev.braid.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.braid.model.DType;
import dev.braid.model.onnx.OnnxProto.AttributeProto;
import dev.braid.model.onnx.OnnxProto.AttributeProto.AttributeType;
import dev.braid.model.onnx.OnnxProto.ModelProto;
import dev.braid.model.onnx.OnnxProto.NodeProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelBuilderTest {
  private static final OrtEnvironment ORT = OrtEnvironment.getEnvironment();

  private static OnnxModelBuilder tinyGemm(Map<String, Object> attrs) {
    OnnxModelBuilder b = new OnnxModelBuilder("tiny");
    b.input("x", DType.FLOAT32, "batch", 3);
    String w = b.initializer("w", new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
    String y = b.node("Gemm", List.of("x", w), attrs);
    b.node("Relu", List.of(y), List.of("out"), Map.of());
    b.output("out", DType.FLOAT32, "batch", 2);
    return b;
  }

  @Test
  void roundTripKeepsEveryField() throws Exception {
    Map<String, Object> attrs = new LinkedHashMap<>();
    attrs.put("transB", 1);
    attrs.put("alpha", 0.5f);
    attrs.put("zeta", "s");
    attrs.put("ints", new int[] {1, 2});
    attrs.put("floats", List.of(0.25, 0.5));
    ModelProto m = ModelProto.parseFrom(tinyGemm(attrs).toBytes());

    assertEquals(8, m.getIrVersion());
    assertEquals(1, m.getOpsetImportCount());
    assertEquals("", m.getOpsetImport(0).getDomain());
    assertEquals(17, m.getOpsetImport(0).getVersion());
    assertEquals("tiny", m.getGraph().getName());

    TensorShapeProto in = m.getGraph().getInput(0).getType().getTensorType().getShape();
    assertEquals("batch", in.getDim(0).getDimParam());
    assertEquals(3, in.getDim(1).getDimValue());
    assertEquals(1, m.getGraph().getInput(0).getType().getTensorType().getElemType());

    TensorProto w = m.getGraph().getInitializer(0);
    assertEquals(List.of(2L, 3L), w.getDimsList());
    assertEquals(TensorProto.DataType.FLOAT_VALUE, w.getDataType());
    FloatBuffer raw = w.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer();
    float[] values = new float[6];
    raw.get(values);
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, values);

    NodeProto gemm = m.getGraph().getNode(0);
    assertEquals("Gemm", gemm.getOpType());
    assertEquals("Gemm", gemm.getName());
    assertEquals(List.of("x", "w"), gemm.getInputList());
    List<String> names = gemm.getAttributeList().stream().map(AttributeProto::getName).toList();
    assertEquals(List.of("alpha", "floats", "ints", "transB", "zeta"), names, "sorted by name");
    assertEquals(AttributeType.FLOAT, gemm.getAttribute(0).getType());
    assertEquals(0.5f, gemm.getAttribute(0).getF());
    assertEquals(List.of(0.25f, 0.5f), gemm.getAttribute(1).getFloatsList());
    assertEquals(List.of(1L, 2L), gemm.getAttribute(2).getIntsList());
    assertEquals(AttributeType.INT, gemm.getAttribute(3).getType());
    assertEquals(1, gemm.getAttribute(3).getI());
    assertEquals("s", gemm.getAttribute(4).getS().toStringUtf8());
    assertEquals(List.of("out"), m.getGraph().getNode(1).getOutputList());
  }

  @Test
  void sameCallsGiveIdenticalBytesWhateverTheAttributeMapOrder() {
    Map<String, Object> forward = new LinkedHashMap<>();
    forward.put("alpha", 1.0f);
    forward.put("transB", 1);
    Map<String, Object> backward = new HashMap<>();
    backward.put("transB", 1);
    backward.put("alpha", 1.0f);
    assertArrayEquals(tinyGemm(forward).toBytes(), tinyGemm(backward).toBytes());
  }

  @Test
  void irVersionFollowsTheOpset() throws Exception {
    assertEquals(8, OnnxModelBuilder.irVersionFor(17));
    assertEquals(9, OnnxModelBuilder.irVersionFor(20));
    assertEquals(7, OnnxModelBuilder.irVersionFor(13));
    ModelProto m = ModelProto.parseFrom(tinyGemm(Map.of()).opset(20).toBytes());
    assertEquals(9, m.getIrVersion());
    assertEquals(20, m.getOpsetImport(0).getVersion());
    ModelProto forced = tinyGemm(Map.of()).irVersion(10).build();
    assertEquals(10, forced.getIrVersion());
  }

  @Test
  void onnxRuntimeLoadsEveryOpsetInRange() throws OrtException {
    // ONNX Runtime has no kernels for the pre-opset-7 forms the builder can also write (Relu-1).
    for (int opset = Math.max(OnnxModelBuilder.MIN_OPSET, 7); opset <= OnnxModelBuilder.MAX_OPSET; opset++) {
      byte[] bytes =
          OnnxModelBuilder.singleOp("Relu")
              .opset(opset)
              .input("x", DType.FLOAT32, "batch", 2)
              .output("y", DType.FLOAT32, "batch", 2)
              .toBytes();
      float[] y = run(bytes, Map.of("x", tensor(new float[] {-1, 2}, 1, 2)));
      assertArrayEquals(new float[] {0, 2}, y, "opset " + opset);
    }
  }

  @Test
  void generatedNamesAreUniqueAndTraceable() {
    OnnxModelBuilder b = new OnnxModelBuilder("g");
    b.input("x", DType.FLOAT32, 2);
    String a = b.node("Relu", "x");
    String c = b.node("Relu", a);
    assertEquals("Relu_out", a);
    assertEquals("Relu_1_out", c);
    assertEquals("x_1", b.uniqueName("x"));
    assertEquals("x_2", b.uniqueName("x"));
    assertEquals("fresh", b.uniqueName("fresh"));
    String reserved = b.uniqueName("w");
    assertEquals(reserved, b.initializer(reserved, new float[] {1}), "a reserved name is usable");
    assertThrows(IllegalArgumentException.class, () -> b.initializer(reserved, new float[] {1}));
  }

  @Test
  void rejectsBadGraphsWithMessagesNamingTheCulprit() {
    OnnxModelBuilder b = new OnnxModelBuilder("g");
    b.input("x", DType.FLOAT32, 2);
    var undefined = assertThrows(IllegalArgumentException.class, () -> b.node("Relu", "nope"));
    assertTrue(undefined.getMessage().contains("nope"), undefined.getMessage());
    var dup = assertThrows(IllegalArgumentException.class,
        () -> b.initializer("x", new float[] {1}, 1));
    assertTrue(dup.getMessage().contains("x is already used"), dup.getMessage());
    var size = assertThrows(IllegalArgumentException.class,
        () -> b.initializer("w", new float[] {1, 2, 3}, 2, 2));
    assertTrue(size.getMessage().contains("expects 4 elements, got 3"), size.getMessage());
    var opset = assertThrows(IllegalArgumentException.class, () -> b.opset(99));
    assertTrue(opset.getMessage().contains("got 99"), opset.getMessage());
    var attr = assertThrows(IllegalArgumentException.class,
        () -> b.node("Relu", List.of("x"), Map.of("bad", new Object())));
    assertTrue(attr.getMessage().contains("attribute bad"), attr.getMessage());
    var dim = assertThrows(IllegalArgumentException.class,
        () -> b.input("z", DType.FLOAT32, 2.5));
    assertTrue(dim.getMessage().contains("z dim 0"), dim.getMessage());
    b.output("missing", DType.FLOAT32, 2);
    var out = assertThrows(IllegalStateException.class, b::build);
    assertTrue(out.getMessage().contains("missing"), out.getMessage());
  }

  @Test
  void gemmWithKnownWeightsComputesInOnnxRuntime() throws OrtException {
    // Y = 2 * A * B^T + C, B is [2, 3]: rows (1,0,0) and (0,1,1)
    byte[] bytes =
        OnnxModelBuilder.singleOp("Gemm")
            .attr("transB", 1)
            .attr("alpha", 2.0f)
            .input("A", DType.FLOAT32, "batch", 3)
            .initializer("B", new float[] {1, 0, 0, 0, 1, 1}, 2, 3)
            .initializer("C", new float[] {10, 20}, 2)
            .output("Y", DType.FLOAT32, "batch", 2)
            .toBytes();
    float[] y = run(bytes, Map.of("A", tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)));
    assertArrayEquals(new float[] {12, 30, 18, 42}, y);
  }

  @Test
  void broadcastingAddComputesInOnnxRuntime() throws OrtException {
    byte[] bytes =
        OnnxModelBuilder.singleOp("Add")
            .input("a", DType.FLOAT32, 2, 3)
            .initializer("b", new float[] {100, 200, 300}, 3)
            .outputOfAnyShape("c", DType.FLOAT32)
            .toBytes();
    float[] c = run(bytes, Map.of("a", tensor(new float[] {1, 2, 3, 4, 5, 6}, 2, 3)));
    assertArrayEquals(new float[] {101, 202, 303, 104, 205, 306}, c);
  }

  @Test
  void int64InitializersAndAbsentInputsWork() throws OrtException {
    OnnxModelBuilder b = new OnnxModelBuilder("reshape-clip");
    b.input("x", DType.FLOAT32, "batch", 4);
    String shape = b.int64Vector("shape", 0, 2, -1);
    String r = b.node("Reshape", List.of("x", shape), Map.of());
    String max = b.floatScalar("max", 2.5f);
    b.node("Clip", List.of(r, "", max), List.of("y"), Map.of());
    b.output("y", DType.FLOAT32, "batch", 2, 2);
    float[] y = run(b.toBytes(), Map.of("x", tensor(new float[] {-1, 1, 2, 3}, 1, 4)));
    assertArrayEquals(new float[] {-1, 1, 2, 2.5f}, y);
  }

  @Test
  void writeCreatesDirectoriesAndTheSameBytes(@TempDir Path dir) throws Exception {
    OnnxModelBuilder b = tinyGemm(Map.of("transB", 1));
    Path file = b.write(dir.resolve("a/b/model.onnx"));
    assertArrayEquals(b.toBytes(), Files.readAllBytes(file));
  }

  @Test
  void singleOpBuilderIsOneShot() {
    var op = OnnxModelBuilder.singleOp("Relu")
        .input("x", DType.FLOAT32, 1)
        .output("y", DType.FLOAT32, 1);
    ModelProto first = op.build();
    assertEquals(first, op.build());
    assertEquals(1, first.getGraph().getNodeCount());
    assertThrows(IllegalStateException.class, () -> op.attr("alpha", 1.0f));
    var noOutput = assertThrows(IllegalStateException.class,
        () -> OnnxModelBuilder.singleOp("Relu").input("x", DType.FLOAT32, 1).build());
    assertTrue(noOutput.getMessage().contains("outputs expected >= 1"), noOutput.getMessage());
  }

  private static OnnxTensor tensor(float[] data, long... shape) throws OrtException {
    return OnnxTensor.createTensor(ORT, FloatBuffer.wrap(data), shape);
  }

  private static float[] run(byte[] model, Map<String, OnnxTensor> inputs) throws OrtException {
    try (OrtSession session = ORT.createSession(model, new OrtSession.SessionOptions());
        OrtSession.Result result = session.run(inputs)) {
      FloatBuffer fb = ((OnnxTensor) result.get(0)).getFloatBuffer();
      float[] out = new float[fb.remaining()];
      fb.get(out);
      return out;
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }
}
