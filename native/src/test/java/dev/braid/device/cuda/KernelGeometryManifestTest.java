package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.cpu.GroupedMixes;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Precision;
import dev.braid.device.plan.KernelGeometry;
import dev.braid.device.plan.LaunchGeometry;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.device.plan.GroupedGeometry;
import java.util.List;
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
    assertEquals(LaunchBuilder.WMMA_THREADS, g.threadsPerBlock());
  }

  @Test
  void bf16ConvUsesBraidConv2dBf16sResources() {
    LaunchGeometry g = KernelGeometry.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1).withPrecision(Precision.BF16_FP32_ACC));
    assertEquals(m.registers("braid_conv2d_bf16"), g.registersPerThread());
    assertEquals(m.sharedBytes("braid_conv2d_bf16"), g.sharedMemoryBytes());
    assertEquals(LaunchBuilder.WMMA_THREADS, g.threadsPerBlock());
  }

  /** A grouped launch's footprint is its grouped kernel's own ptxas figures, not a single kernel's. */
  @Test
  void groupedLaunchesPlanWithTheirGroupedKernelsResources() {
    List<List<Kernel>> groups = List.of(
        List.of(Gemm.of(128, 128, 64), Gemm.of(1, 1000, 512)),
        List.of(Conv2d.simple(1, 64, 14, 14, 64, 3, 1, 1, 1)),
        List.of(Conv2d.simple(1, 32, 14, 14, 32, 3, 1, 1, 32), Conv2d.simple(1, 32, 15, 15, 32, 5, 2, 2, 32)),
        List.of(Unary.of(UnaryOp.RELU, 100), new BatchNorm(1, 4, 9)),
        List.of(Pool2d.simple(Pool2d.PoolMode.MAX, 1, 4, 8, 8, 2, 2, 0), new GlobalAveragePool(16, 49)),
        List.of(new Softmax(4, 64, 1), new LayerNorm(2, 100, 1e-5f, false)),
        List.of(Gemm.of(1, 1000, 512), Gemm.of(512, 1, 512)),
        List.of(Gemm.of(128, 128, 64), Conv2d.simple(1, 64, 14, 14, 64, 3, 1, 1, 1)),
        GroupedMixes.topKs(), GroupedMixes.poolNds());
    List<String> expected = List.of("braid_gemm_grouped_f32", "braid_conv2d_grouped_f32",
        "braid_conv2d_depthwise_grouped_f32", "braid_elementwise_grouped_f32", "braid_pool_grouped_f32",
        "braid_rows_grouped_f32", "braid_gemm_skinny_grouped_f32", "braid_tiled_grouped_f32",
        "braid_topk_grouped_f32", "braid_pool_nd_grouped_f32");
    for (int i = 0; i < groups.size(); i++) {
      GroupedGeometry g = GroupedGeometry.of(groups.get(i));
      String fn = expected.get(i);
      assertEquals(List.of(fn), g.kernels());
      assertEquals(m.registers(fn), g.footprint().registersPerThread(), fn + " registers");
      assertEquals(m.sharedBytes(fn), g.footprint().sharedMemoryBytes(), fn + " shared bytes");
      for (LaunchGeometry p : g.problems()) {
        assertEquals(g.footprint().registersPerThread(), p.registersPerThread());
        assertEquals(g.footprint().threadsPerBlock(), p.threadsPerBlock());
      }
    }
    // beside a tiled problem the skinny one runs on the grouped kernel's 64 x 64 tiles: 16, not 32 skinny blocks
    assertEquals(List.of(4, 16), GroupedGeometry.of(groups.get(0)).problems().stream().map(LaunchGeometry::blocks).toList());
    assertEquals(128, GroupedGeometry.of(groups.get(5)).footprint().threadsPerBlock(), "rows: the largest row's block");
    // skinny problems only: the grouped skinny kernel's blocks of 32 long positions
    assertEquals(List.of(32, 16), GroupedGeometry.of(groups.get(6)).problems().stream().map(LaunchGeometry::blocks).toList());
  }
}
