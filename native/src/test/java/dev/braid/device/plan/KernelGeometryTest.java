package dev.braid.device.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.GpuSpec;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.model.Shape;
import org.junit.jupiter.api.Test;

/** Hand-computed grids, occupancy and fusion keys for the kernel table of {@link KernelGeometry}. */
class KernelGeometryTest {
  /** V100 limits: 80 SMs, 2048 threads, 32 blocks, 64 Ki registers, 96 KiB shared per SM. */
  private static final GpuSpec V100 = new GpuSpec(80, 2048, 32, 65536, 96 * 1024, 15.7e12, 900e9, 128, 1_530_000_000L);

  @Test
  void tiledGemmCoversOutputIn64x64TilesOf256Threads() {
    LaunchGeometry g = KernelGeometry.of(Gemm.of(256, 128, 1152));
    assertEquals(new LaunchGeometry(4 * 2, 256, 116, 8704), g);
    // registers bind (braid_gemm_f32's 116, ptxas): 65536 / (116 * 256) = 2 blocks; threads allow 8, shared 11.
    assertEquals(2, g.residentBlocksPerSm(V100));
    assertEquals(1, g.waves(V100));
    assertEquals(2L * 256 * 128 * 1152, KernelGeometry.issuedFlops(Gemm.of(256, 128, 1152)));
  }

  @Test
  void partialTilesArePaddedInIssuedFlops() {
    Gemm g = Gemm.of(65, 64, 10);
    assertEquals(2, KernelGeometry.of(g).blocks());
    assertEquals(2L * 128 * 64 * 10, KernelGeometry.issuedFlops(g));
    assertTrue(KernelGeometry.issuedFlops(g) >= g.flops());
  }

  @Test
  void smallMGemmRunsSkinnyBlocksOver32ColumnsOfTheLongSide() {
    Gemm fc = Gemm.of(1, 1000, 512, false, false, 1f, 1f, GemmBias.PER_COLUMN);
    LaunchGeometry g = KernelGeometry.of(fc);
    assertEquals(new LaunchGeometry(32, 128, 118, 8192), g); // ceil(1000 / 32)
    assertEquals(4, g.residentBlocksPerSm(V100)); // registers 65536 / (118 * 128) = 4; shared 12; threads 16
    assertEquals(2L * 1024 * 1 * 512 + 1000, KernelGeometry.issuedFlops(fc));
    // the paper's RNN matrix-vector (M=512 N=1) is skinny too, over M
    assertEquals(16, KernelGeometry.of(Gemm.of(512, 1, 512)).blocks());
  }

  @Test
  void denseConvIsImplicitGemmOverPixelsAndOutputChannels() {
    // ResNet-18 conv2_2 at 56x56, batch 1: M = 3136 pixels -> 49 tiles, N = 64 channels -> 1
    Conv2d c = Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1);
    assertEquals(new LaunchGeometry(49, 256, 116, 8704), KernelGeometry.of(c));
    assertEquals(2L * 49 * 64 * 64 * 64 * 9, KernelGeometry.issuedFlops(c));
  }

  @Test
  void depthwiseConvIsOneThreadPerOutput() {
    Conv2d c = Conv2d.simple(1, 32, 16, 16, 32, 3, 1, 1, 32);
    assertEquals(new LaunchGeometry(32, 256, 32, 0), KernelGeometry.of(c)); // 8192 outputs / 256
    assertEquals(8, KernelGeometry.of(c).residentBlocksPerSm(V100)); // threads bind: 2048 / 256
  }

  @Test
  void elementwiseIs1024ElementsPerBlockAndRowKernelsOneBlockPerRow() {
    assertEquals(new LaunchGeometry(3, 256, 32, 0), KernelGeometry.of(Unary.of(UnaryOp.RELU, 2049)));
    assertEquals(1, KernelGeometry.of(Unary.of(UnaryOp.RELU, 0)).blocks());
    assertEquals(2, KernelGeometry.of(Binary.of(BinaryOp.ADD, Shape.of(4, 512), Shape.of(512))).blocks());
    assertEquals(new LaunchGeometry(64, 256, 32, 64), KernelGeometry.of(new LayerNorm(64, 768, 1e-5f, true)));
    assertEquals(new LaunchGeometry(12 * 64, 64, 32, 16), KernelGeometry.of(new Softmax(12 * 64, 64, 1)));
    assertEquals(32, KernelGeometry.of(new Softmax(1, 1, 1)).threadsPerBlock());
  }

  @Test
  void bf16KernelsRunOnWmmaTilesOf128ThreadsWhateverTheShape() {
    Gemm skinny = Gemm.of(1, 1000, 512).withPrecision(Precision.BF16_FP32_ACC);
    assertEquals(false, KernelGeometry.isSkinny(skinny), "no skinny bf16 kernel");
    LaunchGeometry g = KernelGeometry.of(skinny);
    assertEquals(16, g.blocks(), "1 x 16 tiles of 64 x 64");
    assertEquals(128, g.threadsPerBlock());
    assertEquals(162, g.registersPerThread());
    assertEquals(22784, g.sharedMemoryBytes());
    assertEquals(2L * 64 * 1024 * 512, KernelGeometry.issuedFlops(skinny));
    assertEquals(2L * 64 * 64 * 32, KernelGeometry.issuedFlops(Gemm.of(64, 64, 17).withPrecision(Precision.BF16_FP32_ACC)),
        "K padded to the 16-deep WMMA step");

    Conv2d dw = Conv2d.simple(1, 32, 16, 16, 32, 3, 1, 1, 32).withPrecision(Precision.BF16_FP32_ACC);
    LaunchGeometry c = KernelGeometry.of(dw);
    assertEquals(32 * 4, c.blocks(), "32 groups x 4 pixel tiles x 1 channel tile");
    assertEquals(128, c.threadsPerBlock());
    assertEquals(128, c.registersPerThread());
    assertEquals(22784, c.sharedMemoryBytes());
    assertEquals(2L * 32 * 256 * 64 * 16, KernelGeometry.issuedFlops(dw), "9 taps padded to 16, 1 channel to 64");
  }
}
