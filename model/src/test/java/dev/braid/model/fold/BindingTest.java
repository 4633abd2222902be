package dev.braid.model.fold;

import static dev.braid.model.onnx.TestOnnx.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Operators;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.ImportedModel;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BindingTest {
  /** x[N, 3, 4] -> Shape -> Gather(0) -> Unsqueeze -> Concat([-1]) -> Reshape(x) = [N, 12]. */
  private static ImportedModel flattenByShapeChain() {
    GraphProto g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, "N", 3L, 4L))
        .addInitializer(longs("zero", dims(), 0))
        .addInitializer(longs("zero_axes", dims(1), 0))
        .addInitializer(longs("minus1", dims(1), -1))
        .addNode(node("Shape", "shape", in("x"), in("s")))
        .addNode(node("Gather", "gather", in("s", "zero"), in("n"), intAttr("axis", 0)))
        .addNode(node("Unsqueeze", "unsq", in("n", "zero_axes"), in("n1")))
        .addNode(node("Concat", "concat", in("n1", "minus1"), in("target"), intAttr("axis", 0)))
        .addNode(node("Reshape", "reshape", in("x", "target"), in("y")))
        .addOutput(value("y", FLOAT, "N", 12L))
        .build();
    return load(13, g);
  }

  @Test
  void shapeChainFoldsIntoAConstantTargetShape() {
    for (int batch : new int[] {1, 4}) {
      ModelGraph m = flattenByShapeChain().bind(batch);
      assertEquals(1, m.nodes().size());
      Node reshape = m.nodes().get(0);
      assertEquals("Reshape", reshape.opType());
      assertArrayEquals(new long[] {batch, -1}, m.constant(reshape.input(1)).longs());
      assertEquals(Shape.of(batch, 12), m.shape("y"));
      assertEquals(batch, m.batchSize());
      assertFalse(m.constants().containsKey("s"), "intermediate folded values are dropped");
    }
  }

  @Test
  void fixedBatchModelBindsOnlyAtItsBatch() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, 1L, 3L))
        .addNode(node("Relu", "r", in("x"), in("y"))).addOutput(value("y", FLOAT, 1L, 3L)).build();
    ImportedModel m = load(13, g);
    assertEquals(Shape.of(1, 3), m.bind(1).shape("y"));
    ModelException e = assertThrows(ModelException.class, () -> m.bind(4));
    assertTrue(e.getMessage().contains("input 'x' has a fixed batch dimension of 1 and no input has a dynamic batch"
        + " dimension, so the model binds only at batch size 1; expected batch size 1, received 4"), e.getMessage());
  }

  @Test
  void otherSymbolicDimsComeFromDimParamsOrFail() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 4L, "seq"))
        .addNode(node("Relu", "r", in("x"), in("y"))).addOutput(value("y", FLOAT, "N", 4L, "seq")).build();
    ImportedModel m = load(13, g);
    assertEquals(Shape.of(2, 4, 7), m.bind(2, Map.of("seq", 7)).shape("y"));
    ModelException e = assertThrows(ModelException.class, () -> m.bind(2));
    assertTrue(e.getMessage().startsWith("test.onnx: input 'x' dimension 2 ('seq') is dynamic and cannot be resolved: "),
        e.getMessage());
  }

  @Test
  void declaredOutputShapeThatDisagreesIsAnError() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 4L))
        .addNode(node("Relu", "r", in("x"), in("y"))).addOutput(value("y", FLOAT, "N", 5L)).build();
    ModelException e = assertThrows(ModelException.class, () -> load(13, g).bind(2));
    assertEquals("test.onnx: output 'y' is declared as FLOAT [" + "'N', 5] but inference gives FLOAT [2, 4] at batch size 2",
        e.getMessage());
  }

  @Test
  void identityAndDropoutAreRemovedButOutputNamesSurvive() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 4L))
        .addNode(node("Identity", "id", in("x"), in("a")))
        .addNode(node("Relu", "r", in("a"), in("b")))
        .addNode(node("Dropout", "drop", in("b"), in("y", "mask")))
        .addOutput(value("y", FLOAT, "N", 4L)).build();
    ModelGraph m = load(13, g).bind(4);
    assertEquals(1, m.nodes().size());
    Node relu = m.nodes().get(0);
    assertEquals("Relu", relu.opType());
    assertEquals("x", relu.input(0));
    assertEquals("y", relu.output(0));
    assertEquals("y", m.outputs().get(0).name());
    assertFalse(m.values().containsKey("a"));
    assertFalse(m.values().containsKey("b"));
  }

  @Test
  void identityOfAGraphInputToAnOutputStaysAsIdentity() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 4L))
        .addNode(node("Dropout", "drop", in("x"), in("y"))).addOutput(value("y", FLOAT, "N", 4L)).build();
    ModelGraph m = load(13, g).bind(1);
    assertEquals(1, m.nodes().size());
    assertEquals("Identity", m.nodes().get(0).opType());
  }

  @Test
  void unusedNodesAreRemoved() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 4L))
        .addNode(node("Sigmoid", "dead", in("x"), in("unused")))
        .addNode(node("Relu", "r", in("x"), in("y"))).addOutput(value("y", FLOAT, "N", 4L)).build();
    ModelGraph m = load(13, g).bind(1);
    assertEquals(1, m.nodes().size());
    assertFalse(m.values().containsKey("unused"));
  }

  @Test
  void batchNormAfterConvFoldsIntoWeightsAndBias() {
    float[] w = {1, 2, 3, 4, -1, -2, -3, -4}; // [2, 1, 2, 2]
    float[] b = {0.5f, -0.5f};
    float[] scale = {2, 0.5f};
    float[] beta = {0.1f, 0.2f};
    float[] mean = {1, -1};
    float[] var = {4, 0.25f};
    float eps = 1e-3f;
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 1L, 3L, 3L))
        .addInitializer(floats("W", dims(2, 1, 2, 2), w)).addInitializer(floats("B", dims(2), b))
        .addInitializer(floats("scale", dims(2), scale)).addInitializer(floats("beta", dims(2), beta))
        .addInitializer(floats("mean", dims(2), mean)).addInitializer(floats("var", dims(2), var))
        .addNode(node("Conv", "conv", in("x", "W", "B"), in("c")))
        .addNode(node("BatchNormalization", "bn", in("c", "scale", "beta", "mean", "var"), in("y"),
            floatAttr("epsilon", eps)))
        .addOutput(value("y", FLOAT, "N", 2L, 2L, 2L)).build();
    ImportedModel model = load(13, g);
    ModelGraph m = model.bind(2);
    assertEquals(1, m.nodes().size());
    Node conv = m.nodes().get(0);
    assertEquals("Conv", conv.opType());
    assertEquals("y", conv.output(0));
    float[] w2 = m.constant(conv.input(1)).floats();
    float[] b2 = m.constant(conv.input(2)).floats();
    for (int o = 0; o < 2; o++) {
      double f = scale[o] / Math.sqrt(var[o] + eps);
      for (int j = 0; j < 4; j++) {
        assertEquals(w[o * 4 + j] * f, w2[o * 4 + j], 1e-5);
      }
      assertEquals((b[o] - mean[o]) * f + beta[o], b2[o], 1e-5);
    }
    assertArrayEquals(w, model.initializers().get("W").floats(), "original initializers are not mutated");
    assertEquals(Shape.of(2, 2, 2, 2), m.shape("y"));
  }

  @Test
  void standaloneBatchNormStaysANode() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 2L, 3L))
        .addInitializer(floats("s", dims(2), 1, 1)).addInitializer(floats("b", dims(2), 0, 0))
        .addInitializer(floats("m", dims(2), 0, 0)).addInitializer(floats("v", dims(2), 1, 1))
        .addNode(node("BatchNormalization", "bn", in("x", "s", "b", "m", "v"), in("y")))
        .addOutput(value("y", FLOAT, "N", 2L, 3L)).build();
    ModelGraph m = load(13, g).bind(1);
    assertEquals("BatchNormalization", m.nodes().get(0).opType());
    assertTrue(m.isConstant("v"));
  }

  @Test
  void legacySoftmaxOnAMiddleAxisBecomesReshapeSoftmaxReshape() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 3L, 4L))
        .addNode(node("Softmax", "sm", in("x"), in("y"), intAttr("axis", 1)))
        .addOutput(value("y", FLOAT, "N", 3L, 4L)).build();
    ModelGraph m = load(11, g).bind(2);
    assertEquals(java.util.List.of("Reshape", "Softmax", "Reshape"), m.nodes().stream().map(Node::opType).toList());
    assertEquals(Shape.of(2, 12), m.shape(m.nodes().get(1).output(0)));
    assertEquals(1, m.nodes().get(1).attributes().getInt("axis"));
  }

  @Test
  void autoPadBecomesExplicitPads() {
    GraphProto g = GraphProto.newBuilder().addInput(value("x", FLOAT, "N", 1L, 5L, 5L))
        .addNode(node("MaxPool", "p", in("x"), in("y"), intsAttr("kernel_shape", 2, 2), strAttr("auto_pad", "SAME_LOWER")))
        .addOutput(value("y", FLOAT, "N", 1L, 5L, 5L)).build();
    Node p = load(13, g).bind(1).nodes().get(0);
    assertFalse(p.attributes().has("auto_pad"));
    assertArrayEquals(new long[] {1, 1, 0, 0}, p.attributes().getInts("pads", null));
  }

  @Test
  void resultHonoursModelGraphInvariants() {
    ModelGraph m = flattenByShapeChain().bind(3);
    java.util.Set<String> known = new java.util.HashSet<>(m.constants().keySet());
    m.inputs().forEach(i -> known.add(i.name()));
    for (Node n : m.nodes()) {
      assertTrue(Operators.SUPPORTED.contains(n.opType()));
      for (String in : n.inputs()) {
        assertTrue(in.isEmpty() || known.contains(in), in);
        assertTrue(in.isEmpty() || m.values().containsKey(in), in);
      }
      assertFalse(n.inputs().stream().allMatch(m::isConstant));
      known.addAll(n.outputs());
      n.outputs().forEach(o -> assertTrue(m.values().containsKey(o)));
    }
    for (Tensor t : m.constants().values()) {
      assertNotNull(t);
    }
  }
}
