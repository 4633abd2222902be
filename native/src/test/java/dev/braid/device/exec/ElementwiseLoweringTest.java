package dev.braid.device.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Casts, integer semantics and the exact-integer limit of the elementwise lowering, on CpuDevice. */
class ElementwiseLoweringTest {
  private static CpuDevice device;

  @BeforeAll
  static void start() {
    device = new CpuDevice(1);
  }

  @AfterAll
  static void stop() {
    device.close();
  }

  private static Tensor run(OnnxSingleOpBuilder b, Map<String, Tensor> inputs) {
    try (CompiledModel m = ModelExecutor.compile(OnnxImporter.parse(b.toBytes(), "t").bind(4), device)) {
      return m.run(inputs).toCompletableFuture().join().get("y");
    }
  }

  private static OnnxSingleOpBuilder cast(DType from, DType to) {
    return OnnxModelBuilder.singleOp("Cast").opset(13).attr("to", (long) to.onnxCode()).input("x", from, 4)
        .output("y", to, 4);
  }

  @Test
  void castFromFloatTruncatesTowardZeroAndWrapsNarrowIntegers() {
    Tensor x = Tensor.ofFloats(Shape.of(4), new float[] {-1.7f, 2.9f, 300.5f, -129f});
    assertArrayEquals(new long[] {-1, 2, 44, 127}, run(cast(DType.FLOAT32, DType.INT8), Map.of("x", x)).longs());
    assertArrayEquals(new long[] {255, 2, 44, 127}, run(cast(DType.FLOAT32, DType.UINT8), Map.of("x", x)).longs());
    assertArrayEquals(new long[] {-1, 2, 300, -129}, run(cast(DType.FLOAT32, DType.INT64), Map.of("x", x)).longs());
  }

  @Test
  void castToBoolIsNonZeroAndToFloat16Rounds() {
    Tensor x = Tensor.ofFloats(Shape.of(4), new float[] {0f, -0.5f, Float.NaN, 1f / 3});
    assertArrayEquals(new long[] {0, 1, 1, 1}, run(cast(DType.FLOAT32, DType.BOOL), Map.of("x", x)).longs());
    Tensor h = run(cast(DType.FLOAT32, DType.FLOAT16), Map.of("x",
        Tensor.ofFloats(Shape.of(4), new float[] {1f / 3, 70000f, 1e-7f, -2.0009766f})));
    // 1/3 in half is 0x3555 = 0.333251953125; 70000 overflows; 1e-7 is the subnormal 2 x 2^-24; -2.0009766 ties to even -2
    assertArrayEquals(new float[] {0.333251953125f, Float.POSITIVE_INFINITY, 1.1920929e-7f, -2f}, h.floats());
  }

  @Test
  void integerDivAndModKeepIntegerSemantics() {
    OnnxSingleOpBuilder div = OnnxModelBuilder.singleOp("Div").opset(13).input("a", DType.INT32, 4)
        .input("b", DType.INT32, 4).output("y", DType.INT32, 4);
    OnnxSingleOpBuilder mod = OnnxModelBuilder.singleOp("Mod").opset(13).input("a", DType.INT32, 4)
        .input("b", DType.INT32, 4).output("y", DType.INT32, 4);
    Map<String, Tensor> in = Map.of("a", Tensor.ofLongs(DType.INT32, Shape.of(4), new long[] {7, -7, 7, -7}),
        "b", Tensor.ofLongs(DType.INT32, Shape.of(4), new long[] {2, 2, -2, -2}));
    assertArrayEquals(new long[] {3, -3, -3, 3}, run(div, in).longs());
    assertArrayEquals(new long[] {1, 1, -1, -1}, run(mod, in).longs());
  }

  @Test
  void anIntegerInputBeyondTwoToTheTwentyFourIsRefusedNamingInputAndValue() {
    OnnxSingleOpBuilder neg = OnnxModelBuilder.singleOp("Neg").opset(13).input("x", DType.INT64, 4)
        .output("y", DType.INT64, 4);
    Tensor x = Tensor.ofLongs(DType.INT64, Shape.of(4), new long[] {1, 2, (1L << 24) + 1, 4});
    Throwable e = assertThrows(RuntimeException.class, () -> run(neg, Map.of("x", x)));
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    assertTrue(cause.getMessage().contains("input 'x' holds 16777217 at element 2 (INT64), beyond 2^24"),
        cause.getMessage());
  }

  @Test
  void anIntegerResultThatReachesTwoToTheTwentyFourFailsTheRequestInsteadOfRounding() {
    // 2^24 + 1 is 16777217: in float32 it reads back as 16777216, so the answer is refused.
    OnnxSingleOpBuilder add = OnnxModelBuilder.singleOp("Add").opset(13).input("a", DType.INT64, 4)
        .input("b", DType.INT64, 4).output("y", DType.INT64, 4);
    Map<String, Tensor> in = Map.of("a", Tensor.ofLongs(DType.INT64, Shape.of(4), new long[] {1, 2, 1L << 24, 4}),
        "b", Tensor.ofLongs(DType.INT64, Shape.of(4), new long[] {1, 1, 1, 1}));
    Throwable e = assertThrows(RuntimeException.class, () -> run(add, in));
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    assertTrue(cause.getMessage().contains("output 'y' (INT64) holds 16777216 at element 2"), cause.getMessage());
  }

  @Test
  void anIntegerConstantBeyondTwoToTheTwentyFourIsRefusedAtLoad() {
    OnnxSingleOpBuilder add = OnnxModelBuilder.singleOp("Add").opset(13).input("x", DType.INT64, 4)
        .initializerInt64("c", new long[] {1L << 30, 0, 0, 0}, 4).output("y", DType.INT64, 4);
    ModelException e = assertThrows(ModelException.class,
        () -> ModelExecutor.compile(OnnxImporter.parse(add.toBytes(), "t").bind(4), device).close());
    assertTrue(e.getMessage().contains("constant 'c' holds 1073741824 at element 0 (INT64)"), e.getMessage());
  }

  @Test
  void castToBfloat16IsRefusedWithTheReason() {
    ModelException e = assertThrows(ModelException.class, () -> run(cast(DType.FLOAT32, DType.BFLOAT16),
        Map.of("x", Tensor.ofFloats(Shape.of(4), new float[4]))));
    assertEquals(true, e.getMessage().contains("to BFLOAT16 is not supported: its rounding differs"), e.getMessage());
  }
}
