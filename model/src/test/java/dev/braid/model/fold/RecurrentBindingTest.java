package dev.braid.model.fold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.ValueInfo;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.OnnxModelBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Binding of RNN, GRU, LSTM ({@link RecurrentDecompositions}) and Einsum ({@link
 * EinsumDecomposition}): the output shapes per layout and direction, what the unrolled graph is
 * made of, and refusals that name the attribute or input, what was expected and what was received.
 * Their numbers are checked on CpuDevice by the native module's RecurrentExecutionTest and the
 * ONNX backend conformance test.
 */
class RecurrentBindingTest {
  private static final DType F = DType.FLOAT32;

  /** A model of one recurrent node over graph inputs X, W, R (and B), declaring {@code outputs} ("" omitted). */
  private static ModelGraph bindRecurrent(String op, int seq, int batch, int input, int hidden, int dirs, int layout,
      List<String> outputs, Map<String, Object> attrs) {
    int gates = op.equals("LSTM") ? 4 : op.equals("GRU") ? 3 : 1;
    OnnxModelBuilder b = new OnnxModelBuilder(op).opset(14);
    if (layout == 0) {
      b.input("X", F, seq, batch, input);
    } else {
      b.input("X", F, batch, seq, input);
    }
    b.input("W", F, dirs, gates * hidden, input);
    b.input("R", F, dirs, gates * hidden, hidden);
    b.input("B", F, dirs, 2 * gates * hidden);
    Map<String, Object> all = new LinkedHashMap<>(attrs);
    all.put("hidden_size", (long) hidden);
    all.put("layout", (long) layout);
    b.node(op, List.of("X", "W", "R", "B"), outputs, all);
    for (int i = 0; i < outputs.size(); i++) {
      if (!outputs.get(i).isEmpty()) {
        b.outputOfAnyShape(outputs.get(i), F);
      }
    }
    return OnnxImporter.parse(b.toBytes(), op).bindDeclared(Map.of());
  }

  private static Shape outputShape(ModelGraph m, String name) {
    return m.outputs().stream().filter(o -> o.name().equals(name)).map(ValueInfo::shape).findFirst().orElseThrow();
  }

  private static String refusal(Runnable r) {
    return assertThrows(ModelException.class, r::run).getMessage();
  }

  @Test
  void bidirectionalLstmInBatchFirstLayoutHasBatchFirstOutputs() {
    ModelGraph m = bindRecurrent("LSTM", 5, 2, 3, 4, 2, 1, List.of("Y", "Y_h", "Y_c"),
        Map.of("direction", "bidirectional"));
    assertEquals(Shape.of(2, 5, 2, 4), outputShape(m, "Y"));
    assertEquals(Shape.of(2, 2, 4), outputShape(m, "Y_h"));
    assertEquals(Shape.of(2, 2, 4), outputShape(m, "Y_c"));
  }

  @Test
  void anOmittedYLeavesOnlyTheFinalStateAndOneInputProjectionPerDirection() {
    ModelGraph m = bindRecurrent("GRU", 6, 3, 2, 5, 1, 0, List.of("", "Y_h"), Map.of());
    assertEquals(1, m.outputs().size());
    assertEquals(Shape.of(1, 3, 5), outputShape(m, "Y_h"));
    // One MatMul projects all six steps' inputs; each step multiplies the state twice (z/r and h).
    long matMuls = m.nodes().stream().filter(n -> n.opType().equals("MatMul")).count();
    assertEquals(1 + 2 * 6, matMuls);
    assertTrue(m.nodes().stream().noneMatch(n -> n.opType().equals("GRU")));
  }

  @Test
  void rnnUnrollsOneRecurrentMatMulPerStepAndDirection() {
    ModelGraph m = bindRecurrent("RNN", 4, 1, 3, 2, 2, 0, List.of("Y", "Y_h"), Map.of("direction", "bidirectional"));
    assertEquals(Shape.of(4, 2, 1, 2), outputShape(m, "Y"));
    List<String> ops = new ArrayList<>();
    for (Node n : m.nodes()) {
      ops.add(n.opType());
    }
    assertEquals(2 + 2 * 4, ops.stream().filter("MatMul"::equals).count());
    assertEquals(2 * 4, ops.stream().filter("Tanh"::equals).count());
  }

  @Test
  void anActivationBraidLacksIsRefusedNamingTheAttributeAndTheChoices() {
    String msg = refusal(() -> bindRecurrent("LSTM", 2, 1, 2, 2, 1, 0, List.of("Y"),
        Map.of("activations", List.of("Sigmoid", "Gelu", "Tanh"))));
    assertTrue(msg.contains("attribute 'activations' names 'Gelu'; Braid supports Sigmoid, Tanh"), msg);
  }

  @Test
  void theWrongNumberOfActivationsIsRefusedWithExpectedAndReceived() {
    String msg = refusal(() -> bindRecurrent("GRU", 2, 1, 2, 2, 2, 0, List.of("Y"),
        Map.of("direction", "bidirectional", "activations", List.of("Sigmoid", "Tanh"))));
    assertTrue(msg.contains("attribute 'activations' must list 4 functions (2 per direction x 2), got 2"), msg);
  }

  @Test
  void alphasThatDoNotMatchTheActivationsTakingThemAreRefused() {
    String msg = refusal(() -> bindRecurrent("RNN", 2, 1, 2, 2, 1, 0, List.of("Y"),
        Map.of("activations", List.of("Tanh"), "activation_alpha", List.of(0.5f))));
    assertTrue(msg.contains("attribute 'activation_alpha' must hold one value per activation that takes it (0 in [Tanh]),"
        + " got 1"), msg);
  }

  @Test
  void lstmClipAndInputForgetAreRefusedWithTheReason() {
    String clip = refusal(() -> bindRecurrent("LSTM", 2, 1, 2, 2, 1, 0, List.of("Y"), Map.of("clip", 3f)));
    assertTrue(clip.contains("attribute 'clip' (3.0) is not supported for LSTM"), clip);
    String forget = refusal(() -> bindRecurrent("LSTM", 2, 1, 2, 2, 1, 0, List.of("Y"), Map.of("input_forget", 1L)));
    assertTrue(forget.contains("attribute 'input_forget' must be 0"), forget);
    assertTrue(forget.contains("got 1"), forget);
  }

  @Test
  void anUnknownDirectionIsRefusedNamingTheChoices() {
    String msg = refusal(() -> bindRecurrent("RNN", 2, 1, 2, 2, 1, 0, List.of("Y"), Map.of("direction", "backward")));
    assertTrue(msg.contains("attribute 'direction' must be 'forward', 'reverse' or 'bidirectional', got 'backward'"), msg);
  }

  @Test
  void aSequenceTooLongToUnrollIsRefusedWithTheBound() {
    String msg = refusal(() -> bindRecurrent("RNN", 3000, 1, 1, 1, 2, 0, List.of("Y"),
        Map.of("direction", "bidirectional")));
    assertTrue(msg.contains("sequence length 3000 x 2 direction(s) = 6000 steps exceeds the "
        + RecurrentSpec.MAX_UNROLLED_STEPS), msg);
  }

  @Test
  void weightsOfTheWrongShapeAreRefusedNamingTheInputAndBothShapes() {
    OnnxModelBuilder b = new OnnxModelBuilder("lstm").opset(14);
    b.input("X", F, 2, 1, 3);
    b.input("W", F, 1, 12, 2); // input size 2, X has 3
    b.input("R", F, 1, 12, 3);
    b.node("LSTM", List.of("X", "W", "R"), List.of("Y"), Map.of("hidden_size", 3L));
    b.outputOfAnyShape("Y", F);
    String msg = refusal(() -> OnnxImporter.parse(b.toBytes(), "lstm").bindDeclared(Map.of()));
    assertTrue(msg.contains("input W 'W' must have shape [num_directions, 4 * hidden_size, input_size] = [1, 12, 3],"
        + " got [1, 12, 2]"), msg);
  }

  @Test
  void aConstantSequenceLengthBeyondTheSequenceIsRefusedNamingTheRow() {
    OnnxModelBuilder b = new OnnxModelBuilder("rnn").opset(14);
    b.input("X", F, 3, 2, 1);
    b.input("W", F, 1, 1, 1);
    b.input("R", F, 1, 1, 1);
    b.initializerInt64("lens", new long[] {3, 4}, 2);
    b.node("RNN", List.of("X", "W", "R", "", "lens"), List.of("Y"), Map.of("hidden_size", 1L));
    b.outputOfAnyShape("Y", F);
    String msg = refusal(() -> OnnxImporter.parse(b.toBytes(), "rnn").bindDeclared(Map.of()));
    assertTrue(msg.contains("input sequence_lens 'lens' holds 4 for batch row 1; lengths must lie in [0, 3]"), msg);
  }

  @Test
  void aConstantFullLengthNeedsNoMaskAndAPartialOneMasksWithWhere() {
    for (long[] lens : List.of(new long[] {3, 3}, new long[] {3, 2})) {
      OnnxModelBuilder b = new OnnxModelBuilder("rnn").opset(14);
      b.input("X", F, 3, 2, 1);
      b.input("W", F, 1, 1, 1);
      b.input("R", F, 1, 1, 1);
      b.initializerInt64("lens", lens, 2);
      b.node("RNN", List.of("X", "W", "R", "", "lens"), List.of("Y"), Map.of("hidden_size", 1L));
      b.outputOfAnyShape("Y", F);
      ModelGraph m = OnnxImporter.parse(b.toBytes(), "rnn").bindDeclared(Map.of());
      long wheres = m.nodes().stream().filter(n -> n.opType().equals("Where")).count();
      // Per step one Where for Y's row and one for the carried state; the last state is dead (no Y_h).
      assertEquals(lens[1] == 3 ? 0 : 2 * 3 - 1, wheres, "Where nodes for lengths " + java.util.Arrays.toString(lens));
    }
  }

  private static ModelGraph bindEinsum(String equation, DType dtype, int[]... shapes) {
    OnnxModelBuilder b = new OnnxModelBuilder("einsum").opset(12);
    List<String> ins = new ArrayList<>();
    for (int i = 0; i < shapes.length; i++) {
      Object[] dims = java.util.Arrays.stream(shapes[i]).boxed().toArray();
      b.input("x" + i, dtype, dims);
      ins.add("x" + i);
    }
    b.node("Einsum", ins, List.of("y"), Map.of("equation", equation));
    b.outputOfAnyShape("y", dtype);
    return OnnxImporter.parse(b.toBytes(), "einsum").bindDeclared(Map.of());
  }

  @Test
  void einsumOutputShapesFollowExplicitAndImplicitEquations() {
    assertEquals(Shape.of(2, 3, 5), bindEinsum("bij, bjk -> bik", F, new int[] {2, 3, 4}, new int[] {2, 4, 5})
        .outputs().get(0).shape());
    // Implicit: the labels used once, alphabetically: "ik".
    assertEquals(Shape.of(3, 5), bindEinsum("ji,jk", F, new int[] {4, 3}, new int[] {4, 5}).outputs().get(0).shape());
    assertEquals(Shape.scalar(), bindEinsum("i,i", F, new int[] {7}, new int[] {7}).outputs().get(0).shape());
    assertEquals(Shape.of(2, 3, 4), bindEinsum("...ii->...i", F, new int[] {2, 3, 4, 4}).outputs().get(0).shape());
    assertEquals(Shape.of(6, 2), bindEinsum("ij,jk,kl->li", F, new int[] {2, 3}, new int[] {3, 4}, new int[] {4, 6})
        .outputs().get(0).shape());
  }

  @Test
  void einsumLowersToMatMulAndReduceSumWithoutAnEinsumNode() {
    ModelGraph m = bindEinsum("bij,bjk->bik", F, new int[] {2, 3, 4}, new int[] {2, 4, 5});
    assertEquals(1, m.nodes().stream().filter(n -> n.opType().equals("MatMul")).count());
    assertTrue(m.nodes().stream().noneMatch(n -> n.opType().equals("Einsum")));
    ModelGraph sum = bindEinsum("ij->i", F, new int[] {3, 4});
    assertEquals(List.of("ReduceSum"), sum.nodes().stream().map(Node::opType).filter(o -> !o.equals("Reshape")).toList());
  }

  @Test
  void einsumRefusalsNameTheEquationAndTheMismatch() {
    String sizes = refusal(() -> bindEinsum("ij,jk->ik", F, new int[] {2, 3}, new int[] {4, 5}));
    assertTrue(sizes.contains("label 'j' of equation 'ij,jk->ik' has size 3 in one place and 4 in input 1"), sizes);
    String ints = refusal(() -> bindEinsum("ij->ji", DType.INT64, new int[] {2, 3}));
    assertTrue(ints.contains("Einsum over INT64 is not supported"), ints);
    String label = refusal(() -> bindEinsum("ij->iz", F, new int[] {2, 3}));
    assertTrue(label.contains("output label 'z' of equation 'ij->iz' appears in no operand"), label);
    String rank = refusal(() -> bindEinsum("ijk->i", F, new int[] {2, 3}));
    assertTrue(rank.contains("operand 0 'ijk' of equation 'ijk->i' names 3 axes, input 'x0' has shape [2, 3]"), rank);
  }
}
