package dev.braid.model.fold;

import static dev.braid.model.onnx.TestOnnx.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.onnx.OnnxProto.AttributeProto;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One node per case: runtime inputs a and b (b omitted when null), optional third input. */
class ShapeInferenceTest {
  record Case(String op, int opset, long[] a, long[] b, long[] c, long[] expected, AttributeProto... attrs) {
    @Override
    public String toString() {
      return op + " " + java.util.Arrays.toString(a) + " " + java.util.Arrays.toString(b) + " -> "
          + java.util.Arrays.toString(expected);
    }
  }

  private static Case c(String op, long[] a, long[] b, long[] expected, AttributeProto... attrs) {
    return new Case(op, 17, a, b, null, expected, attrs);
  }

  private static long[] s(long... d) {
    return d;
  }

  static Stream<Case> cases() {
    return Stream.of(
        c("Gemm", s(2, 3), s(3, 5), s(2, 5)),
        c("Gemm", s(3, 2), s(5, 3), s(2, 5), intAttr("transA", 1), intAttr("transB", 1)),
        new Case("Gemm", 17, s(2, 3), s(3, 5), s(5), s(2, 5)),
        c("MatMul", s(3), s(3, 4), s(4)),
        c("MatMul", s(2, 3), s(3), s(2)),
        c("MatMul", s(2, 3), s(3, 4), s(2, 4)),
        c("MatMul", s(5, 1, 2, 3), s(7, 3, 4), s(5, 7, 2, 4)),
        c("Conv", s(1, 3, 32, 32), s(8, 3, 3, 3), s(1, 8, 30, 30)),
        c("Conv", s(1, 3, 32, 32), s(8, 3, 3, 3), s(1, 8, 16, 16), intsAttr("pads", 1, 1, 1, 1), intsAttr("strides", 2, 2)),
        c("Conv", s(1, 3, 32, 32), s(8, 3, 3, 3), s(1, 8, 11, 11), strAttr("auto_pad", "SAME_UPPER"), intsAttr("strides", 3, 3)),
        c("Conv", s(1, 3, 32, 32), s(8, 3, 3, 3), s(1, 8, 32, 32), strAttr("auto_pad", "SAME_LOWER")),
        c("Conv", s(1, 3, 32, 32), s(8, 3, 3, 3), s(1, 8, 28, 28), intsAttr("dilations", 2, 2), strAttr("auto_pad", "VALID")),
        c("Conv", s(1, 4, 10, 10), s(8, 2, 3, 3), s(1, 8, 8, 8), intAttr("group", 2), intsAttr("kernel_shape", 3, 3)),
        c("Add", s(2, 1, 4), s(3, 1), s(2, 3, 4)),
        c("Sub", s(4), s(2, 4), s(2, 4)),
        c("Mul", s(1), s(2, 3), s(2, 3)),
        c("Div", s(2, 3), s(2, 3), s(2, 3)),
        c("Pow", s(2, 3), s(), s(2, 3)),
        c("Relu", s(2, 3), null, s(2, 3)),
        c("Sigmoid", s(2, 3), null, s(2, 3)),
        c("Tanh", s(2, 3), null, s(2, 3)),
        c("Erf", s(2, 3), null, s(2, 3)),
        c("Sqrt", s(2, 3), null, s(2, 3)),
        c("Gelu", s(2, 3), null, s(2, 3), strAttr("approximate", "tanh")),
        new Case("Clip", 10, s(2, 3), null, null, s(2, 3), floatAttr("min", 0), floatAttr("max", 6)),
        c("Clip", s(2, 3), s(), s(2, 3)),
        c("MaxPool", s(1, 3, 32, 32), null, s(1, 3, 16, 16), intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2)),
        c("MaxPool", s(1, 3, 112, 112), null, s(1, 3, 56, 56), intsAttr("kernel_shape", 3, 3), intsAttr("strides", 2, 2),
            intsAttr("pads", 1, 1, 1, 1)),
        c("MaxPool", s(1, 1, 5, 5), null, s(1, 1, 3, 3), intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2),
            intAttr("ceil_mode", 1)),
        c("MaxPool", s(1, 1, 6, 6), null, s(1, 1, 2, 2), intsAttr("kernel_shape", 2, 2), intsAttr("strides", 2, 2),
            intsAttr("dilations", 2, 2)),
        c("AveragePool", s(1, 3, 7, 7), null, s(1, 3, 4, 4), intsAttr("kernel_shape", 3, 3), intsAttr("strides", 2, 2),
            strAttr("auto_pad", "SAME_UPPER"), intAttr("count_include_pad", 1)),
        c("GlobalAveragePool", s(2, 3, 7, 7), null, s(2, 3, 1, 1)),
        c("Flatten", s(2, 3, 4, 5), null, s(2, 60)),
        c("Flatten", s(2, 3, 4, 5), null, s(24, 5), intAttr("axis", -1)),
        c("Flatten", s(2, 3), null, s(1, 6), intAttr("axis", 0)),
        c("Transpose", s(2, 3, 4), null, s(4, 3, 2)),
        c("Transpose", s(2, 3, 4), null, s(2, 4, 3), intsAttr("perm", 0, 2, 1)),
        c("Concat", s(2, 3), s(2, 5), s(2, 8), intAttr("axis", -1)),
        c("Softmax", s(2, 3), null, s(2, 3)),
        new Case("Softmax", 11, s(2, 3, 4), null, null, s(2, 3, 4)),
        c("LayerNormalization", s(2, 3, 8), s(8), s(2, 3, 8)),
        c("ReduceMean", s(2, 3, 4), s(1), s(2, 3, 1)),
        new Case("ReduceMean", 13, s(2, 3, 4), null, null, s(2, 4), intsAttr("axes", 1), intAttr("keepdims", 0)),
        new Case("ReduceMean", 13, s(2, 3, 4), null, null, s(1, 1, 1)),
        c("Identity", s(2, 3), null, s(2, 3)),
        c("Dropout", s(2, 3), null, s(2, 3)),
        new Case("Unsqueeze", 11, s(2, 3), null, null, s(2, 1, 3, 1), intsAttr("axes", 1, -1)),
        new Case("Squeeze", 11, s(2, 1, 3, 1), null, null, s(2, 3)),
        new Case("Squeeze", 11, s(2, 1, 3, 1), null, null, s(2, 3, 1), intsAttr("axes", 1)),
        c("Cast", s(2, 3), null, s(2, 3), intAttr("to", 7)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void infersShapes(Case t) {
    GraphProto.Builder g = GraphProto.newBuilder().addInput(value("a", FLOAT, box(t.a())));
    String[] inputs = t.b() == null ? in("a") : in("a", "b");
    if (t.b() != null) {
      // ReduceMean's second input (opset 18) is the axes constant; Clip's are min/max scalars.
      if (t.op().equals("ReduceMean")) {
        g.addInitializer(longs("b", t.b(), -1));
      } else {
        g.addInitializer(zeros("b", t.b()));
      }
    }
    if (t.c() != null) {
      g.addInitializer(zeros("c", t.c()));
      inputs = in("a", "b", "c");
    }
    if (t.op().equals("BatchNormalization")) {
      throw new IllegalStateException("covered elsewhere");
    }
    g.addNode(node(t.op(), "n", inputs, in("y"), t.attrs()));
    g.addOutput(unshaped("y", t.op().equals("Cast") ? INT64 : FLOAT));
    int opset = t.op().equals("ReduceMean") && t.b() != null ? 18 : t.opset();
    ModelGraph m = load(opset, g.build()).bind(t.a().length == 0 ? 1 : (int) t.a()[0]);
    assertEquals(Shape.of(t.expected()), m.shape("y"));
  }

  /** Non-batch operands are constants: a fixed first dim on a runtime input would fix the batch. */
  private static dev.braid.model.onnx.OnnxProto.TensorProto zeros(String name, long[] dims) {
    int n = 1;
    for (long d : dims) {
      n *= (int) d;
    }
    return floats(name, dims, new float[n]);
  }

  private static Object[] box(long[] d) {
    Object[] o = new Object[d.length];
    for (int i = 0; i < d.length; i++) {
      o[i] = d[i];
    }
    return o;
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("Gemm", s(2, 3), s(4, 5), "inner dimensions differ"),
        Arguments.of("MatMul", s(2, 3), s(4, 5), "inner dimensions differ"),
        Arguments.of("Add", s(2, 3), s(4), "do not broadcast"),
        Arguments.of("Conv", s(1, 3, 8, 8), s(4, 2, 3, 3), "channels do not match"),
        Arguments.of("Conv", s(1, 3, 2, 2), s(4, 3, 3, 3), "smaller than the window"),
        Arguments.of("Concat", s(2, 3), s(3, 3), "which is not the concatenation axis"));
  }

  @ParameterizedTest(name = "{0} {3}")
  @MethodSource("invalid")
  void rejectsInputsThatDoNotFit(String op, long[] a, long[] b, String message) {
    GraphProto g = GraphProto.newBuilder().addInput(value("a", FLOAT, box(a))).addInitializer(zeros("b", b))
        .addNode(node(op, "bad", in("a", "b"), in("y"), op.equals("Concat") ? intAttr("axis", 1) : intAttr("unused", 0)))
        .addOutput(unshaped("y", FLOAT)).build();
    ModelException e = assertThrows(ModelException.class, () -> load(17, g).bind((int) a[0]));
    assertTrue(e.getMessage().startsWith("test.onnx: node 'bad' (" + op + "): "), e.getMessage());
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
