package dev.braid.model.fold;

import static dev.braid.model.onnx.TestOnnx.dims;
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

import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.ModelGraph;
import dev.braid.model.Node;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import org.junit.jupiter.api.Test;

/**
 * The rewrites of {@link MiscDecompositions} and the host folds of {@link MiscFolds}: the nodes
 * each operator becomes, the constants folded (windows, EyeLike, the DFT matrix, ReverseSequence's
 * index map), and the refusals naming the input or attribute, what was expected and what was
 * received. ONNX's own cases of these operators run in {@code MiscNodeTest} and the conformance
 * test (module native).
 */
class MiscDecompositionsTest {
  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private static ModelGraph bind(int opset, GraphProto.Builder g) {
    return load(opset, g.build()).bindDeclared(java.util.Map.of());
  }

  private static long count(ModelGraph m, String op) {
    return m.nodes().stream().filter(n -> n.opType().equals(op)).count();
  }

  private static Node only(ModelGraph m, String op) {
    return m.nodes().stream().filter(n -> n.opType().equals(op)).findFirst().orElseThrow();
  }

  private static void assertClose(float[] want, float[] got) {
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-6, "element " + i);
    }
  }

  @Test
  void shrinkBecomesTwoWheresOverComparisons() {
    ModelGraph m = bind(13, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 5L))
        .addNode(node("Shrink", "s", in("x"), in("y"), dev.braid.model.onnx.TestOnnx.floatAttr("bias", 1.5f)))
        .addOutput(value("y", FLOAT, 5L)));
    assertEquals(0, count(m, "Shrink"));
    assertEquals(2, count(m, "Where"));
    assertEquals(1, count(m, "Less"));
    assertEquals(1, count(m, "Greater"));
    assertArrayEquals(new float[] {-0.5f}, m.constant(only(m, "Less").input(1)).floats(), "-lambd, default 0.5");
  }

  @Test
  void shrinkOfIntegersIsRefusedNamingTheType() {
    ModelException e = assertThrows(ModelException.class, () -> bind(13, GraphProto.newBuilder()
        .addInput(value("x", INT64, 5L))
        .addNode(node("Shrink", "s", in("x"), in("y")))
        .addOutput(value("y", INT64, 5L))));
    assertTrue(e.getMessage().contains("input 'x' is INT64; Braid implements Shrink for floating inputs only"),
        e.getMessage());
  }

  @Test
  void eyeLikeOfARunTimeInputIsAConstantOfItsShape() {
    ModelGraph m = bind(13, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 3L, 4L))
        .addNode(node("EyeLike", "eye", in("x"), in("y"), intAttr("k", 1), intAttr("dtype", INT64)))
        .addOutput(value("y", INT64, 3L, 4L)));
    assertTrue(m.nodes().isEmpty());
    Tensor y = m.constant("y");
    assertEquals(DType.INT64, y.dtype());
    assertArrayEquals(new long[] {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, y.longs());
  }

  @Test
  void windowsOfAConstantSizeFoldToTheirDefinitions() {
    ModelGraph m = bind(17, GraphProto.newBuilder()
        .addInitializer(longs("four", dims(), 4))
        .addInitializer(longs("five", dims(), 5))
        .addInitializer(longs("three", dims(), 3))
        .addNode(node("HannWindow", "hann", in("four"), in("hann")))
        .addNode(node("HannWindow", "hann_sym", in("five"), in("hann_sym"), intAttr("periodic", 0)))
        .addNode(node("HammingWindow", "hamming", in("four"), in("hamming")))
        .addNode(node("BlackmanWindow", "blackman", in("three"), in("blackman"), intAttr("periodic", 0)))
        .addOutput(value("hann", FLOAT, 4L))
        .addOutput(value("hann_sym", FLOAT, 5L))
        .addOutput(value("hamming", FLOAT, 4L))
        .addOutput(value("blackman", FLOAT, 3L)));
    assertTrue(m.nodes().isEmpty());
    assertClose(new float[] {0, 0.5f, 1, 0.5f}, m.constant("hann").floats());
    assertClose(new float[] {0, 0.5f, 1, 0.5f, 0}, m.constant("hann_sym").floats());
    float a = 25f / 46f, b = 21f / 46f;
    assertClose(new float[] {a - b, a, a + b, a}, m.constant("hamming").floats());
    assertClose(new float[] {0, 1, 0}, m.constant("blackman").floats());
  }

  @Test
  void aWindowOfRunTimeSizeIsRefusedNamingTheInput() {
    ModelException e = assertThrows(ModelException.class, () -> bind(17, GraphProto.newBuilder()
        .addInput(value("n", INT64))
        .addNode(node("HannWindow", "hann", in("n"), in("w")))
        .addOutput(value("w", FLOAT, 4L))));
    assertTrue(e.getMessage().contains("the size (input 0, 'n') must be a constant: the window's length is its value"),
        e.getMessage());
  }

  @Test
  void lrnSumsChannelsByAnAveragePoolOverASizeByOneWindow() {
    ModelGraph m = bind(13, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 6L, 3L, 3L))
        .addNode(node("LRN", "lrn", in("x"), in("y"), intAttr("size", 4)))
        .addOutput(value("y", FLOAT, 2L, 6L, 3L, 3L)));
    Node pool = only(m, "AveragePool");
    assertArrayEquals(new long[] {4, 1}, pool.attributes().getInts("kernel_shape", null));
    // Channel c sums c - 1 .. c + 2: floor(3 / 2) before, ceil(3 / 2) after.
    assertArrayEquals(new long[] {1, 0, 2, 0}, pool.attributes().getInts("pads", null));
    assertEquals(1, pool.attributes().getInt("count_include_pad", 0));
    assertEquals(Shape.of(2, 1, 6, 9), m.shape(pool.input(0)));
    assertEquals(1, count(m, "Pow"));
  }

  @Test
  void reverseSequenceWithConstantLengthsGathersByAConstantMap() {
    ModelGraph m = bind(13, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 3L, 2L))
        .addInitializer(longs("lens", dims(2), 2, 3))
        .addNode(node("ReverseSequence", "rev", in("x", "lens"), in("y")))
        .addOutput(value("y", FLOAT, 3L, 2L)));
    Node gather = only(m, "GatherElements");
    // [time][batch]: batch 0 reverses its first 2 steps, batch 1 all 3.
    assertArrayEquals(new long[] {1, 2, 0, 1, 2, 0}, m.constant(gather.input(1)).longs());
    assertEquals(1, m.nodes().size());
  }

  @Test
  void reverseSequenceWithRunTimeLengthsComputesTheMap() {
    ModelGraph m = bind(13, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L))
        .addInput(value("lens", INT64, 2L))
        .addNode(node("ReverseSequence", "rev", in("x", "lens"), in("y"), intAttr("batch_axis", 0),
            intAttr("time_axis", 1)))
        .addOutput(value("y", FLOAT, 2L, 3L)));
    assertEquals(2, count(m, "Where"), "the reversal, then an index past the axis for a negative length");
    assertEquals(1, only(m, "GatherElements").attributes().getInt("axis", -1));
  }

  @Test
  void reverseSequenceLengthsBeyondTheTimeAxisAreRefused() {
    ModelException e = assertThrows(ModelException.class, () -> bind(13, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 3L, 2L))
        .addInitializer(longs("lens", dims(2), 2, 4))
        .addNode(node("ReverseSequence", "rev", in("x", "lens"), in("y")))
        .addOutput(value("y", FLOAT, 3L, 2L))));
    assertTrue(e.getMessage().contains("sequence_lens[1] is 4; expected 0..3"), e.getMessage());
  }

  @Test
  void maxUnpoolScattersIntoZerosAndPadsToTheOutputShape() {
    ModelGraph m = bind(11, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 1L, 1L, 2L, 2L))
        .addInput(value("i", INT64, 1L, 1L, 2L, 2L))
        .addInitializer(longs("shape", dims(4), 1, 1, 5, 5))
        .addNode(node("MaxUnpool", "unpool", in("x", "i", "shape"), in("y"), intsAttr("kernel_shape", 2, 2),
            intsAttr("strides", 2, 2)))
        .addOutput(value("y", FLOAT, 1L, 1L, 5L, 5L)));
    Node scatter = only(m, "ScatterElements");
    assertEquals(Shape.of(1, 16), m.shape(scatter.input(0)));
    assertEquals(1, count(m, "Pad"));
  }

  @Test
  void maxUnpoolToASmallerOutputShapeIsRefused() {
    ModelException e = assertThrows(ModelException.class, () -> bind(11, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 1L, 1L, 2L, 2L))
        .addInput(value("i", INT64, 1L, 1L, 2L, 2L))
        .addInitializer(longs("shape", dims(4), 1, 1, 3, 5))
        .addNode(node("MaxUnpool", "unpool", in("x", "i", "shape"), in("y"), intsAttr("kernel_shape", 2, 2),
            intsAttr("strides", 2, 2)))
        .addOutput(value("y", FLOAT, 1L, 1L, 3L, 5L))));
    assertTrue(e.getMessage().contains("output_shape [1, 1, 3, 5] must keep N and C and be at least the unpooled"
        + " shape [1, 1, 4, 4]"), e.getMessage());
  }

  @Test
  void detIsALeibnizSumAndRefusedPastFourByFour() {
    ModelGraph m = bind(13, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 2L, 3L, 3L))
        .addNode(node("Det", "det", in("x"), in("y")))
        .addOutput(value("y", FLOAT, 2L)));
    Node gather = only(m, "Gather");
    assertEquals(Shape.of(6, 3), m.constant(gather.input(1)).shape(), "3! products of 3 entries");
    assertEquals(1, count(m, "ReduceProd"));
    ModelException e = assertThrows(ModelException.class, () -> bind(13, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 5L, 5L))
        .addNode(node("Det", "det", in("x"), in("y")))
        .addOutput(value("y", FLOAT))));
    assertTrue(e.getMessage().contains("input 'x' [5, 5] holds 5x5 matrices; Braid implements Det for matrices up to"
        + " 4x4 only"), e.getMessage());
  }

  @Test
  void theDftMatrixHoldsCosinesAndSinesWithTheInversesScale() {
    DftGeometry forward = new DftGeometry(Shape.of(2, 2), 0, 2, 2, 2, false, 0, 0, Shape.of(2, 2));
    // Rows (n, re), (n, im); columns (k, re), (k, im). n = 1, k = 1: angle pi.
    float[] w = MiscDecompositions.dftMatrix(forward, DType.FLOAT32).floats();
    assertClose(new float[] {1, 0, 1, 0, 0, 1, 0, 1, 1, 0, -1, 0, 0, 1, 0, -1}, w);
    DftGeometry inverse = new DftGeometry(Shape.of(2, 1), 0, 2, 2, 2, true, 0, 0, Shape.of(2, 2));
    assertClose(new float[] {0.5f, 0, 0.5f, 0, 0.5f, 0, -0.5f, 0},
        MiscDecompositions.dftMatrix(inverse, DType.FLOAT32).floats());
  }

  @Test
  void aOneSidedDftKeepsHalfTheBinsAndARunTimeLengthIsRefused() {
    ModelGraph m = bind(17, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 1L, 8L, 1L))
        .addNode(node("DFT", "dft", in("x"), in("y"), intAttr("onesided", 1)))
        .addOutput(value("y", FLOAT, 1L, 5L, 2L)));
    assertEquals(Shape.of(8, 10), m.constant(only(m, "MatMul").input(1)).shape());
    ModelException e = assertThrows(ModelException.class, () -> bind(17, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 1L, 8L, 1L))
        .addInput(value("len", INT64))
        .addNode(node("DFT", "dft", in("x", "len"), in("y")))
        .addOutput(value("y", FLOAT, 1L, 8L, 2L))));
    assertTrue(e.getMessage().contains("the dft length (input 1, 'len') must be a constant"), e.getMessage());
  }

  @Test
  void dftAtOpsetTwentyTakesItsAxisAsAnInputDefaultingToTheLastSignalAxis() {
    ModelGraph last = bind(20, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 3L, 4L, 1L))
        .addNode(node("DFT", "dft", in("x"), in("y")))
        .addOutput(value("y", FLOAT, 3L, 4L, 2L)));
    assertEquals(0, count(last, "Transpose"), "axis -2 is already next to the components");
    ModelGraph first = bind(20, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 3L, 4L, 1L))
        .addInitializer(longs("axis", dims(), 0))
        .addNode(node("DFT", "dft", in("x", "", "axis"), in("y")))
        .addOutput(value("y", FLOAT, 3L, 4L, 2L)));
    assertEquals(2, count(first, "Transpose"));
    assertEquals(Shape.of(3, 6), first.constant(only(first, "MatMul").input(1)).shape());
    ModelException e = assertThrows(ModelException.class, () -> bind(20, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 3L, 4L, 1L))
        .addInitializer(longs("axis", dims(), 2))
        .addNode(node("DFT", "dft", in("x", "", "axis"), in("y")))
        .addOutput(value("y", FLOAT, 3L, 4L, 2L))));
    assertTrue(e.getMessage().contains("axis 2 is out of range for input [3, 4, 1] (expected -3..-2 or 0..1"),
        e.getMessage());
  }

  @Test
  void stftWithAWindowShorterThanTheFrameIsRefused() {
    ModelException e = assertThrows(ModelException.class, () -> bind(17, GraphProto.newBuilder()
        .addInput(value("x", FLOAT, 1L, 64L, 1L))
        .addInput(value("w", FLOAT, 8L))
        .addInitializer(longs("step", dims(), 4))
        .addInitializer(longs("len", dims(), 16))
        .addNode(node("STFT", "stft", in("x", "step", "w", "len"), in("y")))
        .addOutput(value("y", FLOAT, 1L, 13L, 9L, 2L))));
    assertTrue(e.getMessage().contains("window w has 8 values but the frame length is 16"), e.getMessage());
  }
}
