package dev.braid.device.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The precision is part of a GEMM's and a convolution's identity; every older factory means FP32. */
class PrecisionTest {
  @Test
  void factoriesAndShortConstructorsDefaultToFp32() {
    assertEquals(Precision.FP32, Gemm.of(2, 3, 4).precision());
    assertEquals(Precision.FP32, Gemm.strided(2, 3, 4, 5, 20, 0).precision());
    assertEquals(Precision.FP32, new Gemm(1, 2, 3, 4, false, false, 1f, 0f, GemmBias.NONE, new int[1], new int[1])
        .precision());
    assertEquals(Precision.FP32, Conv2d.simple(1, 3, 8, 8, 4, 3, 1, 1, 1).precision());
  }

  @Test
  void gemmEqualityHashAndNameIncludeThePrecision() {
    Gemm f32 = Gemm.of(64, 96, 80, true, false, 0.5f, 2f, GemmBias.FULL);
    Gemm bf16 = f32.withPrecision(Precision.BF16_FP32_ACC);
    assertNotEquals(f32, bf16);
    assertNotEquals(f32.hashCode(), bf16.hashCode());
    assertEquals(f32, bf16.withPrecision(Precision.FP32));
    assertEquals(f32.hashCode(), bf16.withPrecision(Precision.FP32).hashCode());
    assertTrue(bf16.toString().contains("precision=BF16_FP32_ACC"), bf16.toString());
    assertFalse(f32.toString().contains("precision"), "float32 names stay as they were: " + f32);
    assertEquals(f32.flops(), bf16.flops());
    assertEquals(f32.argBytes(0), bf16.argBytes(0), "arguments stay float32 buffers");
  }

  @Test
  void convEqualityHashAndNameIncludeThePrecision() {
    Conv2d f32 = Conv2d.simple(1, 3, 8, 8, 4, 3, 1, 1, 1);
    Conv2d bf16 = f32.withPrecision(Precision.BF16_FP32_ACC);
    assertNotEquals(f32, bf16);
    assertNotEquals(f32.hashCode(), bf16.hashCode());
    assertEquals(f32, bf16.withPrecision(Precision.FP32));
    assertTrue(bf16.toString().contains("precision=BF16_FP32_ACC"), bf16.toString());
  }

  @Test
  void nullPrecisionIsRefusedWithTheFieldsName() {
    IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
        () -> Gemm.of(2, 3, 4).withPrecision(null));
    assertTrue(g.getMessage().contains("Gemm.precision"), g.getMessage());
    IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
        () -> Conv2d.simple(1, 3, 8, 8, 4, 3, 1, 1, 1).withPrecision(null));
    assertTrue(c.getMessage().contains("Conv2d.precision"), c.getMessage());
  }
}
