package dev.braid.device.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Pool2d.PoolMode;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.TopK;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The fusion classes: which kernels share a grouped kernel, whatever their shapes and attributes. */
class FusionKeysTest {

  private static void allHave(String key, List<Kernel> kernels) {
    for (Kernel k : kernels) {
      assertEquals(key, FusionKeys.of(k).map(FusionKey::toString).orElse("none"), k.toString());
    }
  }

  @Test
  void gemmsGroupByTileConfigurationNotShapeAndSkinnyStaysApart() {
    allHave("GEMM/FLOAT/tile64x64", List.of(Gemm.of(256, 128, 1152), Gemm.of(100, 300, 7),
        Gemm.of(64, 64, 64, true, true, 1f, 0f, GemmBias.NONE), Gemm.strided(3, 17, 17, 5, 85, 0)));
    allHave("GEMM/FLOAT/skinny16x32", List.of(Gemm.of(1, 1000, 512), Gemm.of(512, 16, 512),
        Gemm.of(4, 1000, 512, false, true, 1f, 1f, GemmBias.PER_COLUMN)));
    assertNotEquals(FusionKeys.of(Gemm.of(1, 1000, 512)), FusionKeys.of(Gemm.of(64, 1000, 512)));
  }

  @Test
  void everyConvolutionButDepthwiseJoinsTheTiledGemmsWhateverItsGroups() {
    allHave("GEMM/FLOAT/tile64x64", List.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1),
        Conv2d.simple(4, 3, 224, 224, 64, 7, 2, 3, 1), Conv2d.simple(1, 64, 28, 28, 128, 1, 2, 0, 1),
        Conv2d.simple(1, 32, 15, 15, 32, 3, 1, 1, 4),
        new Conv2d(1, 16, 17, 19, 24, 3, 3, 1, 2, 2, 1, 0, 3, 2, 2, 1, true, Activation.clip(0f, 6f))));
    // one grouped kernel (braid_tiled_grouped_f32) runs 64 x 64 tiles of either
    assertEquals(FusionKeys.of(Gemm.of(256, 128, 1152)), FusionKeys.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1)));
    assertNotEquals(FusionKeys.of(Gemm.of(1, 1000, 512)), FusionKeys.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1)));
    assertNotEquals(FusionKeys.of(Conv2d.simple(1, 32, 16, 16, 32, 3, 2, 1, 32)),
        FusionKeys.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1)));
  }

  @Test
  void depthwiseConvolutionsOfEveryWindowStrideDilationAndMultiplierShareOneKey() {
    allHave("DEPTHWISE_CONV2D/FLOAT/dw", List.of(
        Conv2d.simple(1, 32, 16, 16, 32, 3, 2, 1, 32),
        Conv2d.simple(1, 96, 8, 8, 96, 3, 1, 1, 96),
        Conv2d.simple(2, 8, 20, 20, 8, 5, 1, 2, 8),
        Conv2d.simple(1, 8, 9, 9, 16, 3, 1, 1, 8),
        new Conv2d(1, 12, 11, 13, 12, 3, 5, 2, 1, 1, 2, 0, 2, 2, 1, 12, true, Activation.RELU)));
  }

  @Test
  void unaryBinaryAndBatchNormShareTheElementwiseKeyWhateverTheOp() {
    allHave("ELEMENTWISE/FLOAT/flat", List.of(Unary.of(UnaryOp.RELU, 10), Unary.of(UnaryOp.GELU, 7),
        Unary.clip(100, 0f, 6f), Unary.of(UnaryOp.IDENTITY, 1),
        Binary.of(BinaryOp.ADD, Shape.of(4, 512), Shape.of(512)),
        Binary.of(BinaryOp.POW, Shape.of(3, 1, 5), Shape.of(1, 7, 1)),
        new BatchNorm(1, 64, 56 * 56)));
  }

  @Test
  void everyPoolShareThePoolKey() {
    allHave("POOL/FLOAT/pool", List.of(
        new Pool2d(PoolMode.MAX, 1, 64, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 56, 56, false),
        new Pool2d(PoolMode.AVERAGE, 1, 8, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 9, 9, true),
        new GlobalAveragePool(512, 49)));
  }

  @Test
  void softmaxLayerNormAndReduceMeanShareTheRowsKey() {
    allHave("NORMALIZATION/FLOAT/rows", List.of(new Softmax(12 * 64, 64, 1), new Softmax(2, 5, 3),
        new LayerNorm(128, 768, 1e-12f, true), new LayerNorm(3, 10, 1e-5f, false),
        new ReduceMean(Shape.of(2, 3, 4), List.of(1))));
  }

  @Test
  void everyReduceAndAlongAxisOpJoinsTheRowsKeyUnlessIntegral() {
    List<Kernel> rows = new ArrayList<>();
    for (ReduceOp op : ReduceOp.values()) {
      rows.add(new Reduce(op, Shape.of(2, 3, 4), List.of(op.isArg() ? 2 : 1), false));
    }
    for (AxisOp op : AxisOp.values()) {
      rows.add(new AlongAxis(op, 2, 5, 3, false));
    }
    allHave("NORMALIZATION/FLOAT/rows", rows);
    // an integral member's overflow fails the whole launch, which cannot say which member it was
    allHave("none", List.of(new Reduce(ReduceOp.SUM, Shape.of(2, 3), List.of(1), true),
        new Reduce(ReduceOp.ARG_MAX, Shape.of(2, 3), List.of(1), true),
        new AlongAxis(AxisOp.CUMSUM, 1, 4, 1, true), new AlongAxis(AxisOp.CUMSUM_EXCLUSIVE_REVERSE, 2, 4, 3, true)));
  }

  @Test
  void everyTopKSharesTheFibresKeyApartFromTheRows() {
    allHave("NORMALIZATION/FLOAT/fibres", List.of(new TopK(2, 10, 1, 3, true, false), new TopK(1, 1000, 1, 5, true, true),
        new TopK(4, 7, 9, 7, false, false), new TopK(3, 2, 0, 0, false, true)));
    assertNotEquals(FusionKeys.of(new TopK(1, 1000, 1, 5, true, false)), FusionKeys.of(new Softmax(1, 1000, 1)));
  }

  @Test
  void everyPoolNdKindSharesTheNdKeyApartFromThe2dPools() {
    List<Kernel> pools = new ArrayList<>();
    for (PoolNd.Kind kind : PoolNd.Kind.values()) {
      pools.add(new PoolNd(kind, 2, List.of(9), List.of(3), List.of(2), List.of(1), List.of(0), List.of(1), List.of(4),
          false, 2, false));
      pools.add(new PoolNd(kind, 1, List.of(4, 5, 6), List.of(2, 2, 2), List.of(1, 1, 1), List.of(0, 1, 0),
          List.of(0, 1, 0), List.of(1, 2, 1), List.of(3, 5, 5), true, 3, kind == PoolNd.Kind.MAX_INDEX));
    }
    allHave("POOL/FLOAT/nd", pools);
    assertNotEquals(FusionKeys.of(pools.get(0)), FusionKeys.of(Pool2d.simple(PoolMode.MAX, 1, 4, 8, 8, 2, 2, 0)));
  }

  @Test
  void layoutKernelsAndBf16HaveNoKey() {
    allHave("none", List.of(new Transpose(Shape.of(2, 3), List.of(1, 0)),
        new Concat(List.of(Shape.of(2, 3), Shape.of(2, 4)), 1), new Gather(Shape.of(10, 4), 0, 3),
        new Copy(10),
        Gemm.of(256, 128, 1152).withPrecision(Precision.BF16_FP32_ACC),
        Gemm.of(1, 1000, 512).withPrecision(Precision.BF16_FP32_ACC),
        Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1).withPrecision(Precision.BF16_FP32_ACC),
        Conv2d.simple(1, 32, 16, 16, 32, 3, 1, 1, 32).withPrecision(Precision.BF16_FP32_ACC)));
    Conv2d c = Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1);
    assertEquals(FusionKeys.of(c), FusionKeys.of(c.withPrecision(Precision.BF16_FP32_ACC).withPrecision(Precision.FP32)));
  }

  @Test
  void theClassesAreDistinctAndEachKeyNamesItsFamilyDenseConvolutionsTheTiledGemms() {
    List<FusionKey> keys = List.of(FusionKeys.GEMM_TILED, FusionKeys.GEMM_SKINNY,
        FusionKeys.DEPTHWISE, FusionKeys.ELEMENTWISE, FusionKeys.POOL, FusionKeys.ROWS, FusionKeys.TOPK,
        FusionKeys.POOL_ND);
    assertEquals(keys.size(), keys.stream().distinct().count());
    for (KernelFamily f : KernelFamily.values()) {
      boolean keyed = keys.stream().anyMatch(k -> k.family() == f);
      assertEquals(f != KernelFamily.LAYOUT && f != KernelFamily.CONV2D, keyed, f.toString());
    }
  }

  @Test
  void equalKeysShareRegistersThreadsAndSharedMemoryExceptRowsWhoseThreadsFollowTheRow() {
    List<List<Kernel>> sameFootprint = List.of(
        List.of(Unary.of(UnaryOp.GELU, 7), Binary.of(BinaryOp.ADD, Shape.of(4, 512), Shape.of(512)),
            new BatchNorm(1, 64, 9)),
        List.of(new Pool2d(PoolMode.MAX, 1, 64, 112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 56, 56, false),
            new GlobalAveragePool(512, 49)),
        List.of(Conv2d.simple(1, 32, 16, 16, 32, 3, 2, 1, 32), Conv2d.simple(2, 8, 20, 20, 8, 5, 1, 2, 8)));
    for (List<Kernel> group : sameFootprint) {
      LaunchGeometry first = KernelGeometry.of(group.get(0));
      for (Kernel k : group) {
        LaunchGeometry g = KernelGeometry.of(k);
        assertEquals(List.of(first.threadsPerBlock(), first.registersPerThread(), first.sharedMemoryBytes()),
            List.of(g.threadsPerBlock(), g.registersPerThread(), g.sharedMemoryBytes()), k.toString());
      }
    }
    // the tiled class: the single GEMM and convolution kernels differ in registers, the grouped
    // kernel of a mix has one count for every block, and both take 256 threads and one tile layout
    LaunchGeometry gemm = KernelGeometry.of(Gemm.of(256, 128, 1152));
    LaunchGeometry conv = KernelGeometry.of(Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1));
    assertEquals(List.of(gemm.threadsPerBlock(), gemm.sharedMemoryBytes()), List.of(conv.threadsPerBlock(), conv.sharedMemoryBytes()));
    GroupedGeometry mix = GroupedGeometry.of(List.of(Gemm.of(256, 128, 1152), Conv2d.simple(1, 64, 56, 56, 64, 3, 1, 1, 1)));
    assertEquals(List.of("braid_tiled_grouped_f32"), mix.kernels());
    for (LaunchGeometry p : mix.problems()) {
      assertEquals(mix.footprint().registersPerThread(), p.registersPerThread());
    }
    LaunchGeometry shortRows = KernelGeometry.of(new Softmax(4, 10, 1));
    LaunchGeometry longRows = KernelGeometry.of(new LayerNorm(4, 768, 1e-5f, true));
    assertEquals(shortRows.registersPerThread(), longRows.registersPerThread());
    assertTrue(shortRows.threadsPerBlock() < longRows.threadsPerBlock());
    assertEquals(Optional.of(FusionKeys.ROWS), FusionKeys.of(new Softmax(4, 10, 1)));
  }
}
