package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Precision;
import dev.braid.device.plan.KernelGeometry;
import dev.braid.device.plan.LaunchGeometry;
import org.junit.jupiter.api.Test;

/** The simulator plans with the real kernels' resources: KernelGeometry's figures are the manifest's (ptxas -v, sm_90). */
class KernelGeometryManifestTest {
  private final KernelManifest m = KernelManifest.load();

  @Test
  void tiledGemmUsesBraidGemmF32sResources() {
    LaunchGeometry g = KernelGeometry.of(Gemm.of(128, 128, 64));
    assertEquals(m.registers("braid_gemm_f32"), g.registersPerThread());
    assertEquals(m.sharedBytes("braid_gemm_f32"), g.sharedMemoryBytes());
  }

  @Test
  void skinnyGemmUsesBraidGemmSkinnyF32sResources() {
    LaunchGeometry g = KernelGeometry.of(Gemm.of(1, 1000, 512));
    assertEquals(m.registers("braid_gemm_skinny_f32"), g.registersPerThread());
    assertEquals(m.sharedBytes("braid_gemm_skinny_f32"), g.sharedMemoryBytes());
  }

  @Test
  void implicitGemmConvPlansWithinItsKernelsBudget() {
    LaunchGeometry g = KernelGeometry.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1));
    // One row covers GEMM and conv: the row's figure is the larger of the two kernels'.
    assertEquals(Math.max(m.registers("braid_gemm_f32"), m.registers("braid_conv2d_f32")), g.registersPerThread());
    assertEquals(m.sharedBytes("braid_conv2d_f32"), g.sharedMemoryBytes());
  }

  @Test
  void bf16GemmUsesBraidGemmBf16sResources() {
    LaunchGeometry g = KernelGeometry.of(Gemm.of(1, 1000, 512).withPrecision(Precision.BF16_FP32_ACC));
    assertEquals(m.registers("braid_gemm_bf16"), g.registersPerThread());
    assertEquals(m.sharedBytes("braid_gemm_bf16"), g.sharedMemoryBytes());
    assertEquals(LaunchPacker.WMMA_THREADS, g.threadsPerBlock());
  }

  @Test
  void bf16ConvUsesBraidConv2dBf16sResources() {
    LaunchGeometry g = KernelGeometry.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1).withPrecision(Precision.BF16_FP32_ACC));
    assertEquals(m.registers("braid_conv2d_bf16"), g.registersPerThread());
    assertEquals(m.sharedBytes("braid_conv2d_bf16"), g.sharedMemoryBytes());
    assertEquals(LaunchPacker.WMMA_THREADS, g.threadsPerBlock());
  }
}
