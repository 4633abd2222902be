package dev.braid.model.fold;

import static dev.braid.model.onnx.TestOnnx.dims;
import static dev.braid.model.onnx.TestOnnx.floats;
import static dev.braid.model.onnx.TestOnnx.in;
import static dev.braid.model.onnx.TestOnnx.intAttr;
import static dev.braid.model.onnx.TestOnnx.intsAttr;
import static dev.braid.model.onnx.TestOnnx.load;
import static dev.braid.model.onnx.TestOnnx.longs;
import static dev.braid.model.onnx.TestOnnx.node;
import static dev.braid.model.onnx.TestOnnx.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import org.junit.jupiter.api.Test;

/**
 * Binding of issue 12's operators where ONNX's node tests do not reach: constant folding of
 * reductions and index maps on shape values, the opset forms older than the tests' (attributes
 * where newer opsets take inputs), and refusals naming the input that must be constant.
 */
class TensorOpsBindingTest {
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;

  /** x[N, 3, 4] -> Shape -> Slice [1:] -> ReduceProd -> Unsqueeze -> Concat(N...) -> Reshape = [N, 12]. */
  @Test
  void aProductOfASliceOfTheShapeFoldsIntoTheTargetShape() {
    GraphProto g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, "N", 3L, 4L))
        .addInitializer(longs("one", dims(1), 1))
        .addInitializer(longs("end", dims(1), Long.MAX_VALUE))
        .addInitializer(longs("zero_axes", dims(1), 0))
        .addInitializer(longs("minus1", dims(1), -1))
        .addNode(node("Shape", "shape", in("x"), in("s")))
        .addNode(node("Slice", "slice", in("s", "one", "end"), in("tail")))
        .addNode(node("ReduceProd", "prod", in("tail"), in("p"), intAttr("keepdims", 0)))
        .addNode(node("Unsqueeze", "unsq", in("p", "zero_axes"), in("p1")))
        .addNode(node("Concat", "concat", in("minus1", "p1"), in("target"), intAttr("axis", 0)))
        .addNode(node("Reshape", "reshape", in("x", "target"), in("y")))
        .addOutput(value("y", FLOAT, "N", 12L))
        .build();
    ModelGraph m = load(13, g).bind(2);
    assertEquals(1, m.nodes().size());
    assertArrayEquals(new long[] {-1, 12}, m.constant(m.nodes().get(0).input(1)).longs());
  }

  @Test
  void opsetTenAndElevenFormsTakeAttributes() {
    // Pad-2: pads and value as attributes; ReduceSum-11: axes as an attribute; TopK-1: k as an attribute.
    GraphProto g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L))
        .addNode(node("Pad", "pad", in("x"), in("p"), intsAttr("pads", 0, 1, 1, 0), dev.braid.model.onnx.TestOnnx
            .floatAttr("value", 2f)))
        .addNode(node("ReduceSum", "sum", in("p"), in("r"), intsAttr("axes", 1), intAttr("keepdims", 0)))
        .addNode(node("TopK", "top", in("p"), in("v", "i"), intAttr("k", 2)))
        .addOutput(value("r", FLOAT, 3L))
        .addOutput(value("v", FLOAT, 3L, 2L))
        .addOutput(value("i", TensorProto.DataType.INT64_VALUE, 3L, 2L))
        .build();
    ModelGraph m = load(10, g).bind(2);
    assertEquals(Shape.of(3, 4), m.shape("p"));
    Node sum = m.nodes().stream().filter(n -> n.opType().equals("ReduceSum")).findFirst().orElseThrow();
    assertArrayEquals(new long[] {1}, m.constant(sum.input(1)).longs(), "axes become a constant input");
    assertEquals(Shape.of(3, 2), m.shape("i"));
  }

  @Test
  void aSliceWhoseStartsComeAtRunTimeIsRefusedNamingThem() {
    GraphProto g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L))
        .addInput(value("starts", TensorProto.DataType.INT64_VALUE, 1L))
        .addInitializer(longs("ends", dims(1), 2))
        .addNode(node("Slice", "slice", in("x", "starts", "ends"), in("y")))
        .addOutput(value("y", FLOAT, 2L, 3L))
        .build();
    ModelException e = assertThrows(ModelException.class, () -> load(13, g).bind(2));
    assertTrue(e.getMessage().contains("starts (input 1, 'starts') must be a constant"), e.getMessage());
  }

  @Test
  void instanceNormalizationBecomesReductionsAndElementwiseNodes() {
    GraphProto g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L, 5L))
        .addInitializer(floats("scale", dims(3), 1, 2, 3))
        .addInitializer(floats("bias", dims(3), 0, 0, 1))
        .addNode(node("InstanceNormalization", "in", in("x", "scale", "bias"), in("y")))
        .addOutput(value("y", FLOAT, 2L, 3L, 5L))
        .build();
    ModelGraph m = load(13, g).bind(2);
    assertTrue(m.nodes().stream().noneMatch(n -> n.opType().equals("InstanceNormalization")));
    assertEquals(2, m.nodes().stream().filter(n -> n.opType().equals("ReduceMean")).count());
    assertEquals(Shape.of(2, 3, 5), m.shape("y"));
  }
}
