package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.cpu.CpuDevice;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxImporter;
import dev.braid.model.onnx.OnnxModelBuilder;
import dev.braid.model.onnx.OnnxSingleOpBuilder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Operators' forms before opset 7 (model/fold's LegacyForms): each legacy node, run on CpuDevice,
 * gives what its modern equivalent gives; a legacy form with no exact modern meaning is refused
 * naming the opset, the attribute and the value.
 */
class LegacyFormsTest {
  private static CpuDevice device;

  @BeforeAll
  static void start() {
    device = new CpuDevice(1);
  }

  @AfterAll
  static void stop() {
    device.close();
  }

  private static float[] run(byte[] model, Map<String, Tensor> inputs) {
    try (CompiledModel m = ModelExecutor.compile(OnnxImporter.parse(model, "t").bindDeclared(Map.of()), device)) {
      return m.run(inputs).toCompletableFuture().join().get("y").toFloats();
    }
  }

  private static String refusal(byte[] model) {
    return assertThrows(ModelException.class, () -> OnnxImporter.parse(model, "t").bindDeclared(Map.of()))
        .getMessage();
  }

  private static Tensor ramp(int... dims) {
    Shape s = Shape.of(dims);
    float[] v = new float[s.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (i % 7) - 3 + i * 0.25f;
    }
    return Tensor.ofFloats(s, v);
  }

  private static OnnxSingleOpBuilder binary(String op, int opset, int[] a, int[] b) {
    return OnnxModelBuilder.singleOp(op).opset(opset).input("a", DType.FLOAT32, box(a))
        .input("b", DType.FLOAT32, box(b)).output("y", DType.FLOAT32, box(a));
  }

  private static Object[] box(int[] dims) {
    return Arrays.stream(dims).boxed().toArray();
  }

  @Test
  void addWithBroadcastAtAxisAlignsBWhereTheOldRuleDid() {
    // A [2,3,4,5], B [3,4] at axis 1: numpy would align B with A's last two dimensions instead.
    Tensor a = ramp(2, 3, 4, 5);
    Tensor b = ramp(3, 4);
    float[] legacy = run(binary("Add", 6, new int[] {2, 3, 4, 5}, new int[] {3, 4}).attr("broadcast", 1L)
        .attr("axis", 1L).toBytes(), Map.of("a", a, "b", b));
    float[] modern = run(binary("Add", 13, new int[] {2, 3, 4, 5}, new int[] {3, 4, 1}).toBytes(),
        Map.of("a", a, "b", Tensor.ofFloats(Shape.of(3, 4, 1), b.toFloats())));
    assertArrayEquals(modern, legacy);
  }

  @Test
  void subWithBroadcastAndNoAxisIsSuffixMatchingAndPowAtAxisZeroToo() {
    Tensor a = ramp(2, 3, 4);
    Tensor b = ramp(3, 4);
    assertArrayEquals(run(binary("Sub", 13, new int[] {2, 3, 4}, new int[] {3, 4}).toBytes(), Map.of("a", a, "b", b)),
        run(binary("Sub", 6, new int[] {2, 3, 4}, new int[] {3, 4}).attr("broadcast", 1L).toBytes(),
            Map.of("a", a, "b", b)));
    Tensor base = Tensor.ofFloats(Shape.of(2, 3), new float[] {1, 2, 3, 4, 5, 6});
    Tensor exp = Tensor.ofFloats(Shape.of(2), new float[] {2, 3});
    float[] pow = run(binary("Pow", 1, new int[] {2, 3}, new int[] {2}).attr("broadcast", 1L).attr("axis", 0L)
        .toBytes(), Map.of("a", base, "b", exp));
    assertArrayEquals(new float[] {1, 4, 9, 64, 125, 216}, pow, 1e-4f);
  }

  @Test
  void mulWithBroadcastOfAConstantOneElementTensorAndOpsetOneConsumedInputs() {
    OnnxSingleOpBuilder legacy = OnnxModelBuilder.singleOp("Mul").opset(1).attr("broadcast", 1L)
        .attr("consumed_inputs", List.of(0L, 0L)).input("a", DType.FLOAT32, 2, 3)
        .initializer("b", new float[] {3}, 1, 1).output("y", DType.FLOAT32, 2, 3);
    Tensor a = ramp(2, 3);
    float[] expected = a.toFloats().clone();
    for (int i = 0; i < expected.length; i++) {
      expected[i] *= 3;
    }
    assertArrayEquals(expected, run(legacy.toBytes(), Map.of("a", a)));
  }

  @Test
  void addWithoutBroadcastOnDifferentShapesIsRefusedNamingExpectedAndReceived() {
    String msg = refusal(binary("Add", 6, new int[] {2, 3}, new int[] {3}).toBytes());
    assertTrue(msg.contains("(Add): legacy form at opset 6: attribute 'broadcast' is 0 (the default), so B must"
        + " have A's shape [2, 3]; received [3]"), msg);
  }

  @Test
  void broadcastOfAMismatchedDimensionIsRefusedNamingAxisAndDimension() {
    String msg = refusal(binary("Div", 6, new int[] {2, 3, 4}, new int[] {4}).attr("broadcast", 1L)
        .attr("axis", 1L).toBytes());
    assertTrue(msg.contains("legacy form at opset 6: B [4] broadcast at axis 1 over A [2, 3, 4]: B's dimension 0"
        + " is 4, expected 3 (or 1)"), msg);
    String axis = refusal(binary("Div", 6, new int[] {2, 3, 4}, new int[] {3, 4}).attr("broadcast", 1L)
        .attr("axis", 2L).toBytes());
    assertTrue(axis.contains("attribute 'axis' is 2; expected 0..1"), axis);
  }

  private static OnnxSingleOpBuilder gemm(int opset, long broadcast) {
    OnnxSingleOpBuilder b = OnnxModelBuilder.singleOp("Gemm").opset(opset).input("a", DType.FLOAT32, 2, 3)
        .initializer("w", new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4)
        .initializer("c", new float[] {1, -1, 2, -2}, 4).output("y", DType.FLOAT32, 2, 4);
    return broadcast < 0 ? b : b.attr("broadcast", broadcast);
  }

  @Test
  void gemmBroadcastOfCMatchesOpsetSevenAndBroadcastZeroNeedsAFullC() {
    Tensor a = ramp(2, 3);
    assertArrayEquals(run(gemm(13, -1).toBytes(), Map.of("a", a)), run(gemm(6, 1).toBytes(), Map.of("a", a)));
    String msg = refusal(gemm(6, -1).toBytes());
    assertTrue(msg.contains("(Gemm): legacy form at opset 6: attribute 'broadcast' is 0 (the default), so C must"
        + " have shape [2, 4]; received [4]"), msg);
  }

  private static byte[] batchNorm(int opset, Map<String, ?> attrs, boolean useMean) {
    OnnxModelBuilder b = new OnnxModelBuilder("bn").opset(opset);
    b.input("x", DType.FLOAT32, 2, 3, 2);
    String s = b.initializer("s", new float[] {1, 2, 3}, 3);
    String bias = b.initializer("bias", new float[] {0.5f, -0.5f, 0}, 3);
    String mean = b.initializer("mean", new float[] {0.1f, 0.2f, 0.3f}, 3);
    String var = b.initializer("var", new float[] {1, 4, 9}, 3);
    List<String> outs = opset < 7 ? List.of("y", "rm", "rv", "sm", "sv") : List.of("y");
    b.node("BatchNormalization", List.of("x", s, bias, mean, var), outs, attrs);
    b.output("y", DType.FLOAT32, 2, 3, 2);
    if (useMean) {
      b.output("rm", DType.FLOAT32, 3);
    }
    return b.toBytes();
  }

  @Test
  void batchNormalizationInTestModeIsTheModernOneAndOtherModesAreRefused() {
    Tensor x = ramp(2, 3, 2);
    float[] modern = run(batchNorm(15, Map.of("epsilon", 1e-3f), false), Map.of("x", x));
    assertArrayEquals(modern, run(batchNorm(6, Map.of("epsilon", 1e-3f, "is_test", 1L, "momentum", 0.9f), false),
        Map.of("x", x)));
    assertArrayEquals(modern, run(batchNorm(1, Map.of("epsilon", 1e-3f, "is_test", 1L,
        "consumed_inputs", List.of(0L, 0L, 0L, 1L, 1L)), false), Map.of("x", x)));
    String training = refusal(batchNorm(6, Map.of(), false));
    assertTrue(training.contains("(BatchNormalization): legacy form at opset 6: attribute 'is_test' is 0 (the default),"
        + " expected 1"), training);
    String spatial = refusal(batchNorm(6, Map.of("is_test", 1L, "spatial", 0L), false));
    assertTrue(spatial.contains("attribute 'spatial' is 0, expected 1"), spatial);
    String spatial8 = refusal(batchNorm(8, Map.of("spatial", 0L), false));
    assertTrue(spatial8.contains("legacy form at opset 8: attribute 'spatial' is 0, expected 1"), spatial8);
    String used = refusal(batchNorm(6, Map.of("is_test", 1L), true));
    assertTrue(used.contains("output 1 ('rm') is used"), used); // the importer refuses it first
  }

  @Test
  void dropoutIsTheIdentityOnlyInTestMode() {
    OnnxSingleOpBuilder test = OnnxModelBuilder.singleOp("Dropout").opset(6).attr("is_test", 1L)
        .attr("ratio", 0.3f).input("x", DType.FLOAT32, 2, 3).output("y", DType.FLOAT32, 2, 3);
    Tensor x = ramp(2, 3);
    assertArrayEquals(x.toFloats(), run(test.toBytes(), Map.of("x", x)));
    String msg = refusal(OnnxModelBuilder.singleOp("Dropout").opset(6).input("x", DType.FLOAT32, 2, 3)
        .output("y", DType.FLOAT32, 2, 3).toBytes());
    assertTrue(msg.contains("(Dropout): legacy form at opset 6: attribute 'is_test' is 0 (the default) with ratio 0.5,"
        + " expected 1"), msg);
  }

  @Test
  void preluSlopeOfOneValuePerChannelAppliesOnDimensionOneNotTheLast() {
    // X [2,3,3]: numpy broadcasting would apply a [3] slope along the last dimension, silently.
    Tensor x = Tensor.ofFloats(Shape.of(2, 3, 3), new float[] {-1, -1, -1, -1, -1, -1, -1, -1, -1,
        -2, -2, -2, -2, -2, -2, -2, -2, -2});
    OnnxSingleOpBuilder legacy = OnnxModelBuilder.singleOp("PRelu").opset(6).input("x", DType.FLOAT32, 2, 3, 3)
        .initializer("s", new float[] {0.1f, 0.2f, 0.3f}, 3).output("y", DType.FLOAT32, 2, 3, 3);
    assertArrayEquals(new float[] {-0.1f, -0.1f, -0.1f, -0.2f, -0.2f, -0.2f, -0.3f, -0.3f, -0.3f,
        -0.2f, -0.2f, -0.2f, -0.4f, -0.4f, -0.4f, -0.6f, -0.6f, -0.6f}, run(legacy.toBytes(), Map.of("x", x)), 1e-6f);
    String msg = refusal(OnnxModelBuilder.singleOp("PRelu").opset(6).input("x", DType.FLOAT32, 2, 3, 4)
        .initializer("s", new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 4).output("y", DType.FLOAT32, 2, 3, 4).toBytes());
    assertTrue(msg.contains("(PRelu): legacy form at opset 6: input 1 (slope, 's') has shape [4], expected one"
        + " element or [3]"), msg);
  }

  @Test
  void sumBeforeOpsetEightNeedsEqualShapes() {
    String msg = refusal(OnnxModelBuilder.singleOp("Sum").opset(7).input("a", DType.FLOAT32, 2, 3)
        .input("b", DType.FLOAT32, 3).output("y", DType.FLOAT32, 2, 3).toBytes());
    assertTrue(msg.contains("(Sum): legacy form at opset 7: input 'b' has shape [3], expected [2, 3]"), msg);
    Tensor a = ramp(2, 3);
    float[] max = run(OnnxModelBuilder.singleOp("Max").opset(6).input("a", DType.FLOAT32, 2, 3)
        .input("b", DType.FLOAT32, 2, 3).output("y", DType.FLOAT32, 2, 3).toBytes(), Map.of("a", a, "b", a));
    assertArrayEquals(a.toFloats(), max);
  }

  @Test
  void softmaxAtOpsetSixKeepsItsTwoDimensionalCoercion() {
    Tensor x = ramp(2, 3, 4);
    byte[] six = OnnxModelBuilder.singleOp("Softmax").opset(6).attr("axis", 1L).input("x", DType.FLOAT32, 2, 3, 4)
        .output("y", DType.FLOAT32, 2, 3, 4).toBytes();
    byte[] thirteen = OnnxModelBuilder.singleOp("Softmax").opset(13).attr("axis", 1L)
        .input("x", DType.FLOAT32, 2, 3, 4).output("y", DType.FLOAT32, 2, 3, 4).toBytes();
    float[] legacy = run(six, Map.of("x", x));
    float sum = 0;
    for (int i = 0; i < 12; i++) {
      sum += legacy[i]; // opsets 1-12: one softmax over the 12 elements of each batch row
    }
    assertEquals(1f, sum, 1e-5f);
    assertFalse(Arrays.equals(legacy, run(thirteen, Map.of("x", x))));
  }

  @Test
  void opsetOneFormsOfReshapeConcatPadAndCastBecomeTheirModernOnes() {
    Tensor x = ramp(2, 3);
    assertArrayEquals(x.toFloats(), run(OnnxModelBuilder.singleOp("Reshape").opset(1).attr("shape", List.of(3L, 2L))
        .input("x", DType.FLOAT32, 2, 3).output("y", DType.FLOAT32, 3, 2).toBytes(), Map.of("x", x)));
    float[] concat = run(OnnxModelBuilder.singleOp("Concat").opset(3).input("a", DType.FLOAT32, 2, 3)
        .input("b", DType.FLOAT32, 2, 3).output("y", DType.FLOAT32, 2, 6).toBytes(), Map.of("a", x, "b", x));
    float[] v = x.toFloats();
    assertArrayEquals(new float[] {v[0], v[1], v[2], v[0], v[1], v[2], v[3], v[4], v[5], v[3], v[4], v[5]}, concat);
    float[] pad = run(OnnxModelBuilder.singleOp("Pad").opset(1).attr("paddings", List.of(0L, 1L, 0L, 0L))
        .attr("value", 9f).input("x", DType.FLOAT32, 2, 3).output("y", DType.FLOAT32, 2, 4).toBytes(), Map.of("x", x));
    assertArrayEquals(new float[] {9, v[0], v[1], v[2], 9, v[3], v[4], v[5]}, pad);
    float[] cast = run(OnnxModelBuilder.singleOp("Cast").opset(1).attr("to", "INT32")
        .input("x", DType.FLOAT32, 2, 3).output("y", DType.INT32, 2, 3).toBytes(), Map.of("x", x));
    assertArrayEquals(new float[] {(int) v[0], (int) v[1], (int) v[2], (int) v[3], (int) v[4], (int) v[5]}, cast);
    String msg = refusal(OnnxModelBuilder.singleOp("Cast").opset(1).attr("to", "COMPLEX64")
        .input("x", DType.FLOAT32, 2, 3).output("y", DType.FLOAT32, 2, 3).toBytes());
    assertTrue(msg.contains("(Cast): legacy form at opset 1: attribute 'to' is 'COMPLEX64'"), msg);
  }

  @Test
  void opsetOneSeluTakesItsOwnDefaultsLpPoolItsFloatPAndSplitNeedsAnAxis() {
    Tensor x = Tensor.ofFloats(Shape.of(1, 4), new float[] {-1, -0.5f, 0.5f, 2});
    float[] selu = run(OnnxModelBuilder.singleOp("Selu").opset(1).input("x", DType.FLOAT32, 1, 4)
        .output("y", DType.FLOAT32, 1, 4).toBytes(), Map.of("x", x));
    float[] expected = new float[4];
    for (int i = 0; i < 4; i++) {
      float v = x.toFloats()[i];
      expected[i] = 1.0507f * (v > 0 ? v : 1.6732f * ((float) Math.exp(v) - 1));
    }
    assertArrayEquals(expected, selu, 1e-6f);
    Tensor img = ramp(1, 2, 4, 4);
    byte[] one = OnnxModelBuilder.singleOp("LpPool").opset(1).attr("p", 2f).attr("kernel_shape", List.of(2L, 2L))
        .attr("strides", List.of(2L, 2L)).input("x", DType.FLOAT32, 1, 2, 4, 4).output("y", DType.FLOAT32, 1, 2, 2, 2)
        .toBytes();
    byte[] eleven = OnnxModelBuilder.singleOp("LpPool").opset(11).attr("p", 2L).attr("kernel_shape", List.of(2L, 2L))
        .attr("strides", List.of(2L, 2L)).input("x", DType.FLOAT32, 1, 2, 4, 4).output("y", DType.FLOAT32, 1, 2, 2, 2)
        .toBytes();
    assertArrayEquals(run(eleven, Map.of("x", img)), run(one, Map.of("x", img)));
    String msg = refusal(OnnxModelBuilder.singleOp("Split").opset(1).input("x", DType.FLOAT32, 2, 4)
        .output("y", DType.FLOAT32, 2, 2).output("z", DType.FLOAT32, 2, 2).toBytes());
    assertTrue(msg.contains("(Split): legacy form at opset 1: attribute 'axis' is missing"), msg);
  }

  @Test
  void anOperatorWhoseOldFormIsNotReadIsRefusedAtImportNamingTheOpset() {
    ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.parse(OnnxModelBuilder
        .singleOp("Upsample").opset(6).attr("height_scale", 2f).attr("width_scale", 2f)
        .input("x", DType.FLOAT32, 1, 1, 2, 2).output("y", DType.FLOAT32, 1, 1, 4, 4).toBytes(), "t"));
    assertTrue(e.getMessage().contains("(Upsample) at default-domain opset 6: Braid reads Upsample from opset 7"),
        e.getMessage());
  }
}
