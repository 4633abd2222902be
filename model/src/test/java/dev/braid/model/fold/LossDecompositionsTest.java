package dev.braid.model.fold;

import static dev.braid.model.onnx.TestOnnx.dims;
import static dev.braid.model.onnx.TestOnnx.floats;
import static dev.braid.model.onnx.TestOnnx.in;
import static dev.braid.model.onnx.TestOnnx.intAttr;
import static dev.braid.model.onnx.TestOnnx.load;
import static dev.braid.model.onnx.TestOnnx.longs;
import static dev.braid.model.onnx.TestOnnx.node;
import static dev.braid.model.onnx.TestOnnx.strAttr;
import static dev.braid.model.onnx.TestOnnx.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.onnx.OnnxProto.AttributeProto;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The loss operators' decomposition ({@link LossDecompositions}) as binding sees it: which nodes
 * replace them, the shapes of the loss and of log_prob per reduction, folding and checking of
 * constant targets, and refusals naming the field, the expected and the received value. The
 * numbers are checked on {@code CpuDevice} by native's {@code LossNodeTest} and ONNX's node cases.
 */
class LossDecompositionsTest {
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  private static final int INT64 = TensorProto.DataType.INT64_VALUE;
  private static final int INT32 = TensorProto.DataType.INT32_VALUE;

  /** x [2, 3, 4], t [2, 4] (inputs), weights [3] (constant): one loss node, declared output {@code y}. */
  private static GraphProto nll(String op, Shape out, boolean logProb, AttributeProto... attrs) {
    GraphProto.Builder g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L, 4L))
        .addInput(value("t", INT64, 2L, 4L))
        .addInitializer(floats("w", dims(3), 0.5f, 1f, 2f))
        .addNode(node(op, "loss", in("x", "t", "w"), logProb ? in("y", "lp") : in("y"), attrs))
        .addOutput(value("y", FLOAT, (Object[]) boxed(out)));
    if (logProb) {
      g.addOutput(value("lp", FLOAT, 2L, 3L, 4L));
    }
    return g.build();
  }

  private static Long[] boxed(Shape s) {
    Long[] d = new Long[s.rank()];
    for (int i = 0; i < d.length; i++) {
      d[i] = (long) s.dim(i);
    }
    return d;
  }

  private static Set<String> ops(ModelGraph m) {
    return m.nodes().stream().map(Node::opType).collect(Collectors.toSet());
  }

  @Test
  void negativeLogLikelihoodBecomesGathersMasksAndAReduction() {
    ModelGraph m = load(13, nll("NegativeLogLikelihoodLoss", Shape.scalar(), false, intAttr("ignore_index", 1)))
        .bindDeclared(Map.of());
    Set<String> ops = ops(m);
    assertTrue(ops.containsAll(List.of("GatherElements", "Gather", "Equal", "Where", "ReduceSum", "Div")), ops.toString());
    assertTrue(!ops.contains("NegativeLogLikelihoodLoss") && !ops.contains("SoftmaxCrossEntropyLoss"), ops.toString());
    assertEquals(Shape.scalar(), m.shape("y"));
  }

  @Test
  void reductionNoneKeepsTheTargetsShapeAndSumGivesAScalar() {
    ModelGraph none = load(13, nll("NegativeLogLikelihoodLoss", Shape.of(2, 4), false, strAttr("reduction", "none")))
        .bindDeclared(Map.of());
    assertEquals(Shape.of(2, 4), none.shape("y"));
    assertTrue(!ops(none).contains("ReduceSum") && !ops(none).contains("ReduceMean"), ops(none).toString());
    ModelGraph sum = load(13, nll("NegativeLogLikelihoodLoss", Shape.scalar(), false, strAttr("reduction", "sum")))
        .bindDeclared(Map.of());
    assertEquals(Shape.scalar(), sum.shape("y"));
    assertTrue(ops(sum).contains("ReduceSum") && !ops(sum).contains("Div"), ops(sum).toString());
  }

  @Test
  void softmaxCrossEntropyWritesLogProbFromALogSoftmaxOverTheClassAxisAtOpsetTwelve() {
    ModelGraph m = load(12, nll("SoftmaxCrossEntropyLoss", Shape.scalar(), true)).bindDeclared(Map.of());
    Node logSoftmax = m.nodes().stream().filter(n -> n.opType().equals("LogSoftmax")).findFirst().orElseThrow();
    assertEquals(1, logSoftmax.attributes().getInt("axis"), "axis 1 itself, not opset 12's flattening at axis 1");
    assertEquals(List.of("x"), logSoftmax.inputs(), "no Reshape around it");
    assertEquals(List.of("lp"), logSoftmax.outputs());
    assertEquals(Shape.of(2, 3, 4), m.shape("lp"));
  }

  @Test
  void withoutWeightsOrIgnoreIndexTheMeanIsAPlainMean() {
    GraphProto g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 3L, 5L))
        .addInput(value("t", INT32, 3L))
        .addNode(node("NegativeLogLikelihoodLoss", "loss", in("x", "t"), in("y")))
        .addOutput(value("y", FLOAT))
        .build();
    ModelGraph m = load(13, g).bindDeclared(Map.of());
    assertTrue(ops(m).contains("ReduceMean") && !ops(m).contains("Gather"), ops(m).toString());
  }

  @Test
  void constantTargetsFoldAndAnOutOfRangeOneIsRefusedWithItsValue() {
    GraphProto.Builder g = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L))
        .addNode(node("NegativeLogLikelihoodLoss", "loss", in("x", "t"), in("y"), intAttr("ignore_index", -1)))
        .addOutput(value("y", FLOAT));
    ModelGraph ok = load(13, g.clone().addInitializer(longs("t", dims(2), 2, -1)).build()).bindDeclared(Map.of());
    assertTrue(ops(ok).stream().noneMatch(o -> o.equals("Equal") || o.equals("Or") || o.equals("Less")),
        "masks folded: " + ops(ok));
    assertEquals(1, ok.nodes().stream().filter(n -> n.opType().equals("Where")).count(),
        "only the ignored elements' zeroing is left, no run-time NaN guard: " + ok.nodes());
    ModelException e = assertThrows(ModelException.class,
        () -> load(13, g.clone().addInitializer(longs("t", dims(2), 0, 3)).build()).bindDeclared(Map.of()));
    assertTrue(e.getMessage().contains("holds 3 at flat position 1, outside the classes [0, 3)"), e.getMessage());
  }

  @Test
  void anUnknownReductionIsRefusedNamingTheAttributeTheChoicesAndTheValue() {
    ModelException e = assertThrows(ModelException.class,
        () -> load(13, nll("NegativeLogLikelihoodLoss", Shape.scalar(), false, strAttr("reduction", "avg")))
            .bindDeclared(Map.of()));
    assertTrue(e.getMessage().contains("attribute 'reduction' must be 'none', 'sum' or 'mean', got 'avg'"),
        e.getMessage());
  }

  @Test
  void targetsOfTheWrongTypeOrShapeAndWeightsOfTheWrongSizeAreRefused() {
    GraphProto floatTargets = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L))
        .addInput(value("t", FLOAT, 2L))
        .addNode(node("SoftmaxCrossEntropyLoss", "loss", in("x", "t"), in("y")))
        .addOutput(value("y", FLOAT))
        .build();
    ModelException type = assertThrows(ModelException.class, () -> load(13, floatTargets).bindDeclared(Map.of()));
    assertTrue(type.getMessage().contains("input 1 (labels) 't' must be INT32 or INT64, got FLOAT"), type.getMessage());

    GraphProto badShape = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L, 4L))
        .addInput(value("t", INT64, 2L, 3L))
        .addNode(node("NegativeLogLikelihoodLoss", "loss", in("x", "t"), in("y")))
        .addOutput(value("y", FLOAT))
        .build();
    ModelException shape = assertThrows(ModelException.class, () -> load(13, badShape).bindDeclared(Map.of()));
    assertTrue(shape.getMessage().contains("must have shape [2, 4]") && shape.getMessage().contains("got [2, 3]"),
        shape.getMessage());

    GraphProto badWeight = GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L))
        .addInput(value("t", INT64, 2L))
        .addInitializer(floats("w", dims(2), 1f, 1f))
        .addNode(node("NegativeLogLikelihoodLoss", "loss", in("x", "t", "w"), in("y")))
        .addOutput(value("y", FLOAT))
        .build();
    ModelException weight = assertThrows(ModelException.class, () -> load(13, badWeight).bindDeclared(Map.of()));
    assertTrue(weight.getMessage().contains("input 2 (weight) 'w' must be FLOAT [3] (one weight per class), got FLOAT [2]"),
        weight.getMessage());
  }

  @Test
  void anIgnoreIndexBeyondWhatFloat32CarriesExactlyIsRefused() {
    ModelException e = assertThrows(ModelException.class,
        () -> load(13, nll("NegativeLogLikelihoodLoss", Shape.scalar(), false, intAttr("ignore_index", (1L << 24) + 1)))
            .bindDeclared(Map.of()));
    assertTrue(e.getMessage().contains("attribute 'ignore_index' must be within [-2^24, 2^24]")
        && e.getMessage().contains("got 16777217"), e.getMessage());
  }

  @Test
  void theLossesAreRefusedBeforeOpsetTwelve() {
    ModelException e = assertThrows(ModelException.class,
        () -> load(11, nll("NegativeLogLikelihoodLoss", Shape.scalar(), false)).bindDeclared(Map.of()));
    assertTrue(e.getMessage().contains("NegativeLogLikelihoodLoss is defined from opset 12; the model imports opset 11"),
        e.getMessage());
  }
}
