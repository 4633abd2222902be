package dev.braid.model.onnx;

import static dev.braid.model.onnx.TestOnnx.*;
import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.ByteString;
import dev.braid.model.Attribute;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.NodeProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
  private static GraphProto.Builder reluGraph() {
    return GraphProto.newBuilder().setName("g")
        .addInput(value("x", FLOAT, "N", 4L))
        .addOutput(value("y", FLOAT, "N", 4L))
        .addNode(node("Relu", "r", in("x"), in("y")));
  }

  private static String error(GraphProto.Builder g, int opset) {
    return assertThrows(ModelException.class, () -> load(opset, g.build())).getMessage();
  }

  @Test
  void readsNameOpsetProducerSymbolicInputsAndMetadata(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("relu.onnx");
    Files.write(f, model(13, reluGraph().build()).toBuilder()
        .addMetadataProps(OnnxProto.StringStringEntryProto.newBuilder().setKey("k").setValue("v")).build().toByteArray());
    ImportedModel m = OnnxImporter.load(f);
    assertEquals("g", m.name());
    assertEquals(13, m.opsetVersion());
    assertEquals("braid-test", m.producer());
    assertEquals(List.of(DimSpec.symbolic("N"), DimSpec.fixed(4)), m.inputs().get(0).dims());
    assertEquals("v", m.metadata().get("k"));
    assertTrue(m.hasDynamicBatch());
  }

  @Test
  void missingFileNamesTheFile(@TempDir Path dir) {
    Path f = dir.resolve("nope.onnx");
    ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(f));
    assertEquals(f + ": model file not found", e.getMessage());
  }

  @Test
  void truncatedBytesAreReportedAsCorrupt() {
    byte[] full = model(13, reluGraph().build()).toByteArray();
    byte[] cut = java.util.Arrays.copyOf(full, full.length - 7);
    ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.parse(cut, "m.onnx"));
    assertTrue(e.getMessage().startsWith("m.onnx is not a valid ONNX model (truncated or corrupt): "), e.getMessage());
  }

  @Test
  void bytesWithoutAnyOnnxFieldAreCorrupt() {
    ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.parse(new byte[0], "e.onnx"));
    assertTrue(e.getMessage().startsWith("e.onnx is not a valid ONNX model (truncated or corrupt): "));
  }

  @Test
  void modelWithoutGraphIsRejected() {
    byte[] b = model(13, reluGraph().build()).toBuilder().clearGraph().build().toByteArray();
    assertEquals("m.onnx: the ONNX model has no graph",
        assertThrows(ModelException.class, () -> OnnxImporter.parse(b, "m.onnx")).getMessage());
  }

  @Test
  void opsetOutsideRangeIsRejected() {
    assertTrue(error(reluGraph(), 0).contains("default-domain opset 0 is outside the range Braid supports (1..23)"));
    assertTrue(error(reluGraph(), 24).contains("opset 24"));
  }

  @Test
  void belowOpsetSevenEachOperatorIsReadFromItsOldestReadOpset() {
    // Relu-1 differs from Relu-6 only by consumed_inputs, which LegacyForms drops: it loads.
    assertEquals(5, load(5, reluGraph().build()).opsetVersion());
    // Erf came with opset 9, Upsample's opset-1 form was experimental: refused, naming node, opset and floor.
    GraphProto.Builder erf = reluGraph().setNode(0, node("Erf", "e", in("x"), in("y")));
    assertEquals("test.onnx: node 'e' (Erf) at default-domain opset 6: Braid reads Erf from opset 7 (it did not exist"
        + " before, or only as an experimental form); Braid reads opsets 1..23, below 7 operator by operator",
        error(erf, 6));
    GraphProto.Builder tile = reluGraph().setNode(0, node("Tile", "t", in("x", "r", "a"), in("y")));
    assertTrue(error(tile, 5).startsWith("test.onnx: node 't' (Tile) at default-domain opset 5: Braid reads Tile from"
        + " opset 6; its form before that is not read"), error(tile, 5));
  }

  @Test
  void nodeInOtherDomainIsRejected() {
    GraphProto.Builder g = reluGraph().setNode(0, reluGraph().getNode(0).toBuilder().setDomain("com.microsoft"));
    assertEquals("test.onnx: node 'r' (Relu) is in domain 'com.microsoft'; Braid supports only the default ONNX domain",
        error(g, 13));
  }

  @Test
  void unsupportedOperatorNamesNodeOpAndOpsetAndListsSupported() {
    GraphProto.Builder g = reluGraph().setNode(0, node("StringNormalizer", "sn", in("x"), in("y")));
    String msg = error(g, 13);
    assertTrue(msg.startsWith("test.onnx: node 'sn' uses operator 'StringNormalizer' (opset 13), which Braid does not"
        + " support; supported operators: "), msg);
    assertTrue(msg.contains(" Add, ") && msg.contains(" BatchNormalization, "), msg);
  }

  @Test
  void initializerWithWrongByteCountNamesDeclaredAndHeldSizes() {
    TensorProto w = TensorProto.newBuilder().setName("W").setDataType(FLOAT).addAllDims(List.of(64L, 3L, 7L, 7L))
        .setRawData(ByteString.copyFrom(new byte[1000])).build();
    assertEquals("test.onnx: initializer 'W' declares FLOAT [64, 3, 7, 7] = 37632 bytes but holds 1000 bytes",
        error(reluGraph().addInitializer(w), 13));
  }

  @Test
  void initializerWithWrongTypedCountIsRejected() {
    TensorProto w = TensorProto.newBuilder().setName("W").setDataType(FLOAT).addDims(3).addFloatData(1f).build();
    assertTrue(error(reluGraph().addInitializer(w), 13).contains("declares FLOAT [3] = 3 elements but holds 1 values in float_data"));
  }

  @Test
  void externalDataIsUnsupported() {
    TensorProto w = TensorProto.newBuilder().setName("W").setDataType(FLOAT).addDims(1)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL).build();
    assertTrue(error(reluGraph().addInitializer(w), 13).contains("initializer 'W' stores its data externally"));
  }

  @Test
  void stringAndComplexTensorsAreUnsupported() {
    TensorProto s = TensorProto.newBuilder().setName("S").setDataType(8).addDims(1).build();
    assertTrue(error(reluGraph().addInitializer(s), 13).contains("initializer 'S' has element type STRING"));
    TensorProto c = TensorProto.newBuilder().setName("C").setDataType(14).addDims(1).build();
    assertTrue(error(reluGraph().addInitializer(c), 13).contains("initializer 'C' has element type COMPLEX64"));
  }

  @Test
  void unknownInputIsNamed() {
    GraphProto.Builder g = reluGraph().setNode(0, node("Relu", "r", in("ghost"), in("y")));
    assertEquals("test.onnx: node 'r' (Relu) reads value 'ghost', which is not a graph input, an initializer,"
        + " or the output of any node", error(g, 13));
  }

  @Test
  void duplicateProducersAreRejected() {
    GraphProto.Builder g = reluGraph().addNode(node("Relu", "r2", in("x"), in("y")));
    assertTrue(error(g, 13).contains("value 'y' is produced twice, by node 'r' (Relu) and by node 'r2' (Relu)"));
  }

  @Test
  void unorderedNodesAreSortedAndCyclesRejected() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("x", FLOAT, 2L)).addOutput(value("z", FLOAT, 2L))
        .addNode(node("Relu", "second", in("y"), in("z")))
        .addNode(node("Relu", "first", in("x"), in("y")));
    assertEquals(List.of("first", "second"), load(13, g.build()).nodes().stream().map(n -> n.name()).toList());
    GraphProto.Builder cyc = GraphProto.newBuilder().addInput(value("x", FLOAT, 2L)).addOutput(value("z", FLOAT, 2L))
        .addNode(node("Add", "a", in("x", "b_out"), in("a_out")))
        .addNode(node("Relu", "b", in("a_out"), in("b_out")))
        .addNode(node("Relu", "c", in("a_out"), in("z")));
    assertTrue(error(cyc, 13).contains("the graph has a cycle; these nodes wait on each other: [a, b, c]"));
  }

  @Test
  void usedBatchNormalizationTrainingOutputIsRejected() {
    // Dropout's mask is computed (ones, in inference) and LayerNormalization's statistics by
    // decomposition; BatchNormalization's running statistics (training outputs) are not.
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("x", FLOAT, 1L, 2L)).addInput(value("s", FLOAT, 2L))
        .addInput(value("b", FLOAT, 2L)).addInput(value("mu", FLOAT, 2L)).addInput(value("v", FLOAT, 2L))
        .addOutput(value("m", FLOAT, 2L))
        .addNode(node("BatchNormalization", "d", in("x", "s", "b", "mu", "v"), in("y", "m")));
    String msg = error(g, 13);
    assertTrue(msg.contains("node 'd' (BatchNormalization) output 1 ('m') is used"), msg);
  }

  @Test
  void decodesHalfBfloatDoubleAndIntegerTensors() {
    // 1.0 in half is 0x3C00, -2.0 is 0xC000; 1.5 in bfloat16 is 0x3FC0.
    TensorProto h = TensorProto.newBuilder().setName("h").setDataType(10).addDims(2)
        .addInt32Data(0x3C00).addInt32Data(0xC000).build();
    TensorProto bf = TensorProto.newBuilder().setName("bf").setDataType(16).addDims(1)
        .setRawData(ByteString.copyFrom(new byte[] {(byte) 0xC0, 0x3F})).build();
    TensorProto d = TensorProto.newBuilder().setName("d").setDataType(11).addDims(1).addDoubleData(0.25).build();
    TensorProto i8 = TensorProto.newBuilder().setName("i8").setDataType(3).addDims(2)
        .setRawData(ByteString.copyFrom(new byte[] {-3, 5})).build();
    TensorProto u8 = TensorProto.newBuilder().setName("u8").setDataType(2).addDims(1)
        .setRawData(ByteString.copyFrom(new byte[] {(byte) 200})).build();
    TensorProto b = TensorProto.newBuilder().setName("b").setDataType(9).addDims(2).addInt32Data(1).addInt32Data(0).build();
    ImportedModel m = load(13, reluGraph().addInitializer(h).addInitializer(bf).addInitializer(d)
        .addInitializer(i8).addInitializer(u8).addInitializer(b).build());
    Tensor ht = m.initializers().get("h");
    assertEquals(DType.FLOAT16, ht.dtype());
    assertArrayEquals(new float[] {1f, -2f}, ht.floats());
    assertArrayEquals(new float[] {1.5f}, m.initializers().get("bf").floats());
    assertArrayEquals(new float[] {0.25f}, m.initializers().get("d").floats());
    assertArrayEquals(new long[] {-3, 5}, m.initializers().get("i8").longs());
    assertArrayEquals(new long[] {200}, m.initializers().get("u8").longs());
    assertArrayEquals(new long[] {1, 0}, m.initializers().get("b").longs());
  }

  @Test
  void halfSubnormalsAndInfinityConvert() {
    assertEquals(0x1p-24f, HalfFloats.halfToFloat(0x0001));
    assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.halfToFloat(0xFC00));
    assertEquals(65504f, HalfFloats.halfToFloat(0x7BFF));
  }

  @Test
  void decodesEveryAttributeType() {
    NodeProto n = node("Relu", "r", in("x"), in("y"), intAttr("i", 3), floatAttr("f", 0.5f), strAttr("s", "héllo"),
        intsAttr("is", 1, 2), OnnxProto.AttributeProto.newBuilder().setName("fs")
            .setType(OnnxProto.AttributeProto.AttributeType.FLOATS).addFloats(1.5f).build(),
        tensorAttr("t", longs("", dims(1), 9)));
    ImportedModel m = load(13, reluGraph().setNode(0, n).build());
    var a = m.nodes().get(0).attributes();
    assertEquals(3, a.getInt("i"));
    assertEquals(0.5f, a.getFloat("f", 0));
    assertEquals("héllo", a.getString("s", null));
    assertArrayEquals(new long[] {1, 2}, a.getInts("is", null));
    assertEquals(new Attribute.Floats(new float[] {1.5f}), a.asMap().get("fs"));
    assertArrayEquals(new long[] {9}, a.getTensor("t").longs());
  }

  @Test
  void graphAttributesAreUnsupported() {
    NodeProto n = node("Relu", "r", in("x"), in("y"), OnnxProto.AttributeProto.newBuilder().setName("body")
        .setType(OnnxProto.AttributeProto.AttributeType.GRAPH).setG(GraphProto.getDefaultInstance()).build());
    assertTrue(error(reluGraph().setNode(0, n), 13).contains("attribute 'body' of node 'r' (Relu) has type GRAPH"));
  }

  @Test
  void initializersListedAsInputsAreNotInputs() {
    GraphProto.Builder g = reluGraph().addInitializer(floats("W", dims(1), 1f)).addInput(value("W", FLOAT, 1L));
    assertEquals(List.of("x"), load(13, g.build()).inputs().stream().map(TensorSpec::name).toList());
  }
}
