package dev.braid.coordinator.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.braid.device.kernel.Gemm;
import dev.braid.device.plan.FusionKey;
import dev.braid.device.plan.KernelFamily;
import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import dev.braid.device.plan.LaunchGeometry;
import dev.braid.model.DType;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FusionProfileTest {
  static final FusionKey A = new FusionKey(KernelFamily.GEMM, DType.FLOAT32, "tile64");
  static final FusionKey B = new FusionKey(KernelFamily.CONV2D, DType.FLOAT32, "k3s1");

  static KernelOp op(int index, Gemm gemm, FusionKey key) {
    return new KernelOp(index, "n" + index, gemm, List.of(), new LaunchGeometry(1, 256, 32, 0), Optional.ofNullable(key));
  }

  @Test
  void sharesAreEachKeysFlopsOverThePlansTotalAndUnfusableOpsCountOnlyInTheTotal() {
    Gemm small = Gemm.of(16, 16, 16);
    KernelPlan plan = new KernelPlan("m", 1, List.of(op(0, small, A), op(1, small, A), op(2, small, B), op(3, small, null)));
    FusionProfile p = FusionProfile.of(plan);
    assertEquals(0.5, p.flopShares().get(A), 1e-12);
    assertEquals(0.25, p.flopShares().get(B), 1e-12);
  }

  @Test
  void overlapIsTheHistogramIntersection() {
    FusionProfile x = new FusionProfile(Map.of(A, 0.6, B, 0.4));
    FusionProfile y = new FusionProfile(Map.of(A, 0.2, B, 0.8));
    assertEquals(0.6, x.overlap(y), 1e-12);
    assertEquals(x.overlap(y), y.overlap(x), 1e-12);
    assertEquals(1.0, x.overlap(x), 1e-12);
    assertEquals(0.0, x.overlap(FusionProfile.NONE), 1e-12);
  }

  @Test
  void sharesOverOneAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new FusionProfile(Map.of(A, 0.7, B, 0.4)));
  }
}
