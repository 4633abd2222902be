package dev.braid.device.plan;

import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.TopK;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.Where;

/**
 * The implementation family a kernel belongs to: what a super-kernel may group. Every family but
 * {@link #LAYOUT} has a float32 grouped kernel; {@link FusionKeys} adds the element type and shape
 * class that must also match.
 */
public enum KernelFamily {
  /**
   * General matrix multiply, batched or not: ONNX Gemm and MatMul, and 1x1 stride-1 unpadded
   * ungrouped convolutions without activation, which the lowering emits as GEMMs.
   */
  GEMM,
  /**
   * Dense or grouped 2-D convolution that is not depthwise (implicit GEMM); also the direct
   * convolutions with no grouped kernel (ConvTranspose2d, ConvNd), which {@link FusionKeys} keeps
   * out of every super-kernel.
   */
  CONV2D,
  /** Depthwise 2-D convolution (one filter per channel). */
  DEPTHWISE_CONV2D,
  /** Elementwise unary and binary kernels, batch normalization as scale and shift. */
  ELEMENTWISE,
  /**
   * Max, average and global average pooling, and N-d pooling ({@code PoolNd}), which fuses in a
   * class of its own ({@link FusionKeys#POOL_ND}).
   */
  POOL,
  /**
   * Softmax, layer normalization, reductions ({@code ReduceMean}, {@code Reduce}), fibre operators
   * ({@code AlongAxis}) and TopK; all but TopK and the integral Reduce and AlongAxis fuse in the
   * rows class ({@link FusionKeys#ROWS}), TopK in its own ({@link FusionKeys#TOPK}).
   */
  NORMALIZATION,
  /** Transpose, concat, gather, copies and Where: no grouped kernel, they launch alone. */
  LAYOUT;

  /** The family {@code kernel} belongs to; a depthwise {@link Conv2d} is not a dense one. */
  public static KernelFamily of(Kernel kernel) {
    if (kernel instanceof Gemm) {
      return GEMM;
    }
    if (kernel instanceof dev.braid.device.kernel.ConvTranspose2d || kernel instanceof dev.braid.device.kernel.ConvNd) {
      return CONV2D;
    }
    if (kernel instanceof dev.braid.device.kernel.Resample || kernel instanceof dev.braid.device.kernel.GridSample
        || kernel instanceof dev.braid.device.kernel.RoiAlign) {
      return LAYOUT;
    }
    if (kernel instanceof Conv2d c) {
      return c.isDepthwise() ? DEPTHWISE_CONV2D : CONV2D;
    }
    if (kernel instanceof Unary || kernel instanceof Binary || kernel instanceof BatchNorm) {
      return ELEMENTWISE;
    }
    if (kernel instanceof Pool2d || kernel instanceof GlobalAveragePool || kernel instanceof PoolNd) {
      return POOL;
    }
    if (kernel instanceof Softmax || kernel instanceof LayerNorm || kernel instanceof ReduceMean
        || kernel instanceof Reduce || kernel instanceof AlongAxis
        || kernel instanceof TopK) {
      return NORMALIZATION;
    }
    if (kernel instanceof Transpose || kernel instanceof Concat || kernel instanceof Gather
        || kernel instanceof Copy || kernel instanceof Where || kernel instanceof Remap
        || kernel instanceof GatherElements || kernel instanceof GatherNd
        || kernel instanceof Scatter || kernel instanceof OneHot) {
      return LAYOUT;
    }
    throw new IllegalArgumentException("no kernel family for " + kernel);
  }
}
