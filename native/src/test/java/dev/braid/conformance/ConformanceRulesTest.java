package dev.braid.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import org.junit.jupiter.api.Test;

/** The conformance test's own rules: its tolerance, its reading of ONNX's data, its reason keys. */
class ConformanceRulesTest {
  @Test
  void toleranceIsAbsolutePlusRelativeAndNanMatchesOnlyNan() {
    assertTrue(OutputComparison.close(1.0009f, 1.0f)); // 9e-4 <= 1e-4 + 1e-3
    assertFalse(OutputComparison.close(1.0012f, 1.0f));
    assertTrue(OutputComparison.close(0.00009f, 0f));
    assertFalse(OutputComparison.close(0.00011f, 0f));
    assertTrue(OutputComparison.close(Float.NaN, Float.NaN));
    assertFalse(OutputComparison.close(0f, Float.NaN));
    assertFalse(OutputComparison.close(Float.NaN, 0f));
    assertTrue(OutputComparison.close(Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY));
    assertFalse(OutputComparison.close(Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY));
    assertFalse(OutputComparison.close(Float.MAX_VALUE, Float.POSITIVE_INFINITY));
  }

  @Test
  void integersMustMatchExactlyAndShapesAndKindsMustAgree() {
    Shape s = Shape.of(2);
    assertNull(OutputComparison.mismatch("y", Tensor.ofLongs(s, new long[] {1, 2}), Tensor.ofLongs(s, new long[] {1, 2})));
    assertNotNull(OutputComparison.mismatch("y", Tensor.ofLongs(s, new long[] {1, 3}), Tensor.ofLongs(s, new long[] {1, 2})));
    assertNotNull(OutputComparison.mismatch("y", Tensor.ofFloats(Shape.of(1, 2), new float[] {1, 2}),
        Tensor.ofFloats(s, new float[] {1, 2})));
    assertNotNull(OutputComparison.mismatch("y", Tensor.ofFloats(s, new float[] {1, 2}), Tensor.ofLongs(s, new long[] {1, 2})));
  }

  @Test
  void bfloat16DataStoredAsUint16BecomesTheFloatsItsBitsEncode() {
    Tensor bits = Tensor.ofLongs(DType.UINT16, Shape.of(2), new long[] {0x3F80, 0xC040}); // 1.0, -3.0
    Tensor f = CaseRunner.asDeclared(bits, DType.BFLOAT16);
    assertEquals(DType.BFLOAT16, f.dtype());
    assertEquals(1.0f, f.floats()[0]);
    assertEquals(-3.0f, f.floats()[1]);
    assertEquals(bits, CaseRunner.asDeclared(bits, DType.UINT16));
  }

  @Test
  void refusalsAreGroupedByWhatIsMissing() {
    assertEquals("unsupported operator Slice",
        RefusalReason.key("node 'n' uses operator 'Slice' (opset 13), which Braid does not support"));
    assertEquals("opset 0 outside Braid's range",
        RefusalReason.key("default-domain opset 0 is outside the range Braid supports (1..23)"));
    assertEquals("Upsample at opset 6", RefusalReason.key("node 'u' (Upsample) at default-domain opset 6: Braid reads"
        + " Upsample from opset 7"));
    assertEquals("legacy form of BatchNormalization at opset 6", RefusalReason.key("m.onnx: node 'bn'"
        + " (BatchNormalization): legacy form at opset 6: attribute 'is_test' is 0 (the default), expected 1"));
    assertEquals("non-constant target shape of Reshape", RefusalReason.key("node 'r' (Reshape): the target shape"
        + " (input 1, 'shape') must be a constant or computable from static shapes"));
    assertEquals("second output of LayerNormalization used", RefusalReason.key("node 'ln' (LayerNormalization)"
        + " output 1 ('mean') is used, but Braid computes only the first output"));
    // An unknown message keys by itself, names and numbers blanked, so alike messages group.
    assertEquals(RefusalReason.key("node 'a' (Foo): 3 widgets"), RefusalReason.key("node 'b' (Foo): 4 widgets"));
  }
}
