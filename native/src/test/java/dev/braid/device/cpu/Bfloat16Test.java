package dev.braid.device.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** bf16 rounding as CUDA's __float2bfloat16_rn: nearest, ties to even, NaN stays NaN, subnormals kept. */
class Bfloat16Test {
  private static int bits(int f32Bits) {
    return Bfloat16.bits(Float.intBitsToFloat(f32Bits));
  }

  @Test
  void exactValuesAreKept() {
    for (float v : new float[] {0f, 1f, -2f, 0.5f, 1.0078125f, 3.3895314e38f /* largest bf16 */}) {
      assertEquals(v, Bfloat16.round(v), "bf16-representable " + v);
    }
    assertEquals(0x8000, Bfloat16.bits(-0f), "negative zero keeps its sign");
  }

  @Test
  void tiesRoundToEven() {
    // 1 + 2^-8 is halfway between 1 (even) and 1 + 2^-7 (odd): down
    assertEquals(1f, Bfloat16.round(1f + 0x1p-8f));
    // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): up
    assertEquals(1f + 0x1p-6f, Bfloat16.round(1f + 3 * 0x1p-8f));
    assertEquals(-1f, Bfloat16.round(-(1f + 0x1p-8f)), "symmetric for negatives");
    // just past the half rounds away, just below rounds back
    assertEquals(1f + 0x1p-7f, Bfloat16.round(1f + 0x1p-8f + 0x1p-20f));
    assertEquals(1f, Bfloat16.round(1f + 0x1p-8f - 0x1p-20f));
  }

  @Test
  void nanStaysNanAndInfinitiesStay() {
    assertEquals(Bfloat16.CANONICAL_NAN, Bfloat16.bits(Float.NaN));
    assertEquals(Bfloat16.CANONICAL_NAN, bits(0xFFC0_0001), "negative NaN with payload");
    // a signalling NaN whose payload sits only in the dropped half: truncating would give infinity
    assertEquals(Bfloat16.CANONICAL_NAN, bits(0x7F80_0001));
    assertEquals(Bfloat16.CANONICAL_NAN, bits(0x7FFF_FFFF), "rounding must not carry a NaN into the sign");
    assertTrue(Float.isNaN(Bfloat16.round(Float.NaN)));
    assertEquals(0x7F80, Bfloat16.bits(Float.POSITIVE_INFINITY));
    assertEquals(0xFF80, Bfloat16.bits(Float.NEGATIVE_INFINITY));
  }

  @Test
  void overflowRoundsToInfinity() {
    assertEquals(Float.POSITIVE_INFINITY, Bfloat16.round(Float.MAX_VALUE));
    assertEquals(Float.NEGATIVE_INFINITY, Bfloat16.round(-Float.MAX_VALUE));
    assertEquals(0x7F7F, bits(0x7F7F_7FFF), "below the halfway point to infinity stays finite");
    assertEquals(0x7F80, bits(0x7F7F_8000), "the tie goes to the even pattern, which is infinity");
  }

  @Test
  void subnormalsRoundWithoutFlushing() {
    assertEquals(0x0000, bits(0x0000_0001), "Float.MIN_VALUE rounds to zero");
    assertEquals(0x0001, bits(0x0000_8001), "smallest bf16 subnormal");
    assertEquals(0x0000, bits(0x0000_8000), "tie, even is zero");
    assertEquals(0x0002, bits(0x0001_8000), "tie, even is 2");
    assertEquals(0x8001, bits(0x8000_C000), "negative subnormal rounds up in magnitude");
    assertEquals(0x0080, bits(0x007F_FFFF), "largest float subnormal carries into the smallest normal");
  }

  @Test
  void matchesNearestBf16ByDistanceOnRandomFloats() {
    // An independent definition: of the two bf16 neighbours (truncated, and one up in magnitude),
    // the nearer by exact double distance, the even one on a tie; past the largest bf16 the upper
    // neighbour is infinity, which IEEE rounding places at 2^128 for this comparison.
    SplittableRandom rnd = new SplittableRandom(16);
    for (int i = 0; i < 200_000; i++) {
      int u = rnd.nextInt();
      float x = Float.intBitsToFloat(u);
      if (Float.isNaN(x) || Float.isInfinite(x)) {
        continue;
      }
      int lo = u >>> 16, hi = lo + 1;
      double hiValue = Float.isInfinite(Bfloat16.value(hi)) ? Math.copySign(0x1p128, x) : Bfloat16.value(hi);
      double dLo = Math.abs((double) x - Bfloat16.value(lo)), dHi = Math.abs((double) x - hiValue);
      int expected = dLo < dHi ? lo : dHi < dLo ? hi : ((lo & 1) == 0 ? lo : hi);
      assertEquals(expected, Bfloat16.bits(x), () -> "x bits " + Integer.toHexString(u));
    }
  }
}
