package dev.braid.model.fold;

import static dev.braid.model.onnx.TestOnnx.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Binding of the elementwise operators: canonical forms, inferred types and host folding. */
class ElementwiseBindingTest {
  private static final int BOOL = 9;
  private static final int UINT8 = 2;

  private static List<String> ops(ModelGraph m) {
    return m.nodes().stream().map(Node::opType).toList();
  }

  @Test
  void sumOfThreeBecomesTwoBroadcastingAddsAndMeanDividesByTheCount() {
    GraphProto.Builder g = GraphProto.newBuilder()
        .addInput(value("a", FLOAT, 2L, 3L)).addInput(value("b", FLOAT, 3L)).addInput(value("c", FLOAT, 2L, 1L))
        .addNode(node("Mean", "m", in("a", "b", "c"), in("y")))
        .addOutput(value("y", FLOAT, 2L, 3L));
    ModelGraph m = load(13, g.build()).bind(2);
    assertEquals(List.of("Add", "Add", "Div"), ops(m));
    Node div = m.nodes().get(2);
    assertEquals(3f, m.constant(div.input(1)).floats()[0]);
    assertEquals(Shape.of(2, 3), m.shape(m.nodes().get(0).output(0)));
  }

  @Test
  void oneInputMaxIsItsInput() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("a", FLOAT, 2L, 3L))
        .addNode(node("Max", "m", in("a"), in("y"))).addOutput(value("y", FLOAT, 2L, 3L));
    ModelGraph m = load(13, g.build()).bind(2);
    assertTrue(ops(m).isEmpty() || ops(m).equals(List.of("Identity")), ops(m).toString());
  }

  @Test
  void clipWithRunTimeBoundsIsMaxThenMin() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("x", FLOAT, 2L, 3L))
        .addInput(value("lo", FLOAT)).addInput(value("hi", FLOAT))
        .addNode(node("Clip", "c", in("x", "lo", "hi"), in("y"))).addOutput(value("y", FLOAT, 2L, 3L));
    ModelGraph m = load(13, g.build()).bind(2);
    assertEquals(List.of("Max", "Min"), ops(m));
  }

  @Test
  void comparisonsGiveBoolAndWhereBroadcastsAllThree() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("a", FLOAT, 2L, 1L)).addInput(value("b", FLOAT, 3L))
        .addNode(node("Less", "lt", in("a", "b"), in("c")))
        .addNode(node("Where", "w", in("c", "a", "b"), in("y")))
        .addOutput(value("y", FLOAT, 2L, 3L));
    ModelGraph m = load(13, g.build()).bind(2);
    assertEquals(DType.BOOL, m.info("c").dtype());
    assertEquals(Shape.of(2, 3), m.shape("c"));
    assertEquals(Shape.of(2, 3), m.shape("y"));
  }

  @Test
  void uint8AdditionWrapsThroughACastToItsOwnType() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("a", UINT8, 4L)).addInput(value("b", UINT8, 4L))
        .addNode(node("Add", "add", in("a", "b"), in("y"))).addOutput(value("y", UINT8, 4L));
    ModelGraph m = load(13, g.build()).bind(4);
    assertEquals(List.of("Add", "Cast"), ops(m));
    assertEquals(DType.UINT8.onnxCode(), m.nodes().get(1).attributes().getInt("to"));
  }

  @Test
  void floatModWithoutFmodIsRefusedNamingTheAttribute() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("a", FLOAT, 4L)).addInput(value("b", FLOAT, 4L))
        .addNode(node("Mod", "mod", in("a", "b"), in("y"))).addOutput(value("y", FLOAT, 4L));
    ModelException e = assertThrows(ModelException.class, () -> load(13, g.build()).bind(4));
    assertTrue(e.getMessage().contains("attribute 'fmod' must be 1 for floating inputs (FLOAT), got 0"), e.getMessage());
  }

  @Test
  void preluSlopeMustBroadcastToX() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("x", FLOAT, 2L, 3L))
        .addInitializer(floats("slope", dims(1, 2, 3), 1, 2, 3, 4, 5, 6))
        .addNode(node("PRelu", "p", in("x", "slope"), in("y"))).addOutput(value("y", FLOAT, 2L, 3L));
    ModelException e = assertThrows(ModelException.class, () -> load(13, g.build()).bind(2));
    assertTrue(e.getMessage().contains("does not broadcast to X [2, 3]"), e.getMessage());
  }

  @Test
  void constantIntegerSubgraphsFoldInLongArithmetic() {
    // Mod (Python sign), BitShift, Where, Equal and Sum over int64 constants fold to one constant.
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("x", FLOAT, 4L))
        .addInitializer(longs("a", dims(4), -7, 7, 1L << 40, 5))
        .addInitializer(longs("b", dims(4), 3, -3, 3, 5))
        .addNode(node("Mod", "mod", in("a", "b"), in("m")))
        .addNode(node("Equal", "eq", in("a", "b"), in("e")))
        .addNode(node("Where", "w", in("e", "a", "m"), in("wm")))
        .addNode(node("Sum", "s", in("wm", "b", "b"), in("s")))
        .addNode(node("Cast", "c", in("s"), in("sf"), intAttr("to", FLOAT)))
        .addNode(node("Add", "add", in("x", "sf"), in("y")))
        .addOutput(value("y", FLOAT, 4L));
    ModelGraph m = load(13, g.build()).bind(4);
    assertEquals(List.of("Add"), ops(m));
    Tensor sf = m.constant(m.nodes().get(0).input(1));
    // mod: [2, -2, 2^40 mod 3 = 1, 0]; a == b only at 3: where -> [2, -2, 1, 5]; + 2b -> [8, -8, 7, 15]
    assertArrayEquals(new float[] {8, -8, 7, 15}, sf.floats());
  }

  @Test
  void sizeFoldsToTheElementCountAtTheBoundBatch() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 3L))
        .addNode(node("Size", "s", in("x"), in("n")))
        .addNode(node("Cast", "c", in("n"), in("nf"), intAttr("to", FLOAT)))
        .addNode(node("Mul", "m", in("x", "nf"), in("y")))
        .addOutput(value("y", FLOAT, "N", 3L));
    ModelGraph m = load(13, g.build()).bind(5);
    assertEquals(List.of("Mul"), ops(m));
    assertArrayEquals(new float[] {15f}, m.constant(m.nodes().get(0).input(1)).floats());
  }

  @Test
  void dropoutMaskIsAConstantOfOnes() {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("x", FLOAT, 2L, 3L))
        .addNode(node("Dropout", "d", in("x"), in("y", "mask")))
        .addOutput(value("y", FLOAT, 2L, 3L)).addOutput(value("mask", BOOL, 2L, 3L));
    ModelGraph m = load(13, g.build()).bind(2);
    assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1}, m.constant("mask").longs());
    assertEquals(DType.BOOL, m.constant("mask").dtype());
  }
}
