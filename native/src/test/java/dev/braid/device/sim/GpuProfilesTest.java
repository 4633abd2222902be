package dev.braid.device.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Cross-checks of the profiles' figures against each other. */
class GpuProfilesTest {
  @Test
  void fp32PeakEqualsSmsTimesLanesTimesTwoTimesBoostClock() {
    assertPeak(GpuProfiles.V100, 64);
    assertPeak(GpuProfiles.A100_40GB, 64);
    assertPeak(GpuProfiles.A100_80GB, 64);
    assertPeak(GpuProfiles.H100, 128);
    assertPeak(GpuProfiles.H200, 128);
  }

  private static void assertPeak(GpuProfile p, int lanesPerSm) {
    double derived = (double) p.spec().smCount() * lanesPerSm * 2 * p.spec().clockHz();
    assertEquals(1.0, derived / p.spec().peakFp32FlopsPerSecond(), 0.01, p.name());
  }

  @Test
  void byNameFindsProfilesAndListsTheKnownOnesOtherwise() {
    assertSame(GpuProfiles.H100, GpuProfiles.byName("H100"));
    assertSame(GpuProfiles.V100, GpuProfiles.byName("v100"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GpuProfiles.byName("k80"));
    assertTrue(e.getMessage().contains("k80") && e.getMessage().contains("v100, a100, a100-80gb, h100, h200"));
  }

  @Test
  void everyProfileAllows128ResidentKernelsAsComputeCapability7AndLater() {
    for (GpuProfile p : GpuProfiles.ALL) {
      assertEquals(128, p.spec().maxResidentKernels(), p.name());
      assertEquals(2048, p.spec().maxThreadsPerSm(), p.name());
      assertEquals(32, p.spec().maxBlocksPerSm(), p.name());
    }
  }
}
