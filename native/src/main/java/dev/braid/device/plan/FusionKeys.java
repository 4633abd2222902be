package dev.braid.device.plan;

import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Precision;
import dev.braid.model.DType;
import java.util.Optional;

/**
 * Which grouped super-kernel can take a kernel. Braid's grouped kernels (issue 4) read a problem
 * table, one entry per problem, so problems of different shapes fuse as long as they run on the
 * same tile configuration:
 *
 * <ul>
 *   <li>GEMM, tiled ({@code GEMM/FLOAT/tile64x64}) and skinny ({@code GEMM/FLOAT/skinny16x32}), see
 *       {@link KernelGeometry}. A table entry holds M, N, K, the operand pointers and leading
 *       dimensions, the batch count with its offsets, alpha, beta, the bias mode, and the
 *       {@code transA}/{@code transB} flags: the tile loaders index A and B through the flags, so
 *       transposed and plain problems share a class.
 *   <li>Dense convolution ({@code CONV2D/FLOAT/tile64x64}), {@code groups == 1}, any window,
 *       stride, padding, dilation, bias and activation: implicit GEMM with those in the entry.
 *   <li>Depthwise convolution, by window, stride and dilation ({@code k3x3s1x1d1x1}): the thread
 *       mapping is per output, so only the window loop must agree; pads, sizes and channel
 *       multiplier are per entry.
 *   <li>Everything else, and grouped convolutions that are not depthwise: empty (launched alone).
 *   <li>GEMM and convolution in {@link Precision#BF16_FP32_ACC}: empty. There is no grouped bf16
 *       kernel (only {@code braid_gemm_bf16} and {@code braid_conv2d_bf16}, one problem each), so no
 *       super-kernel can take them: a {@code BFLOAT16} key would let the scheduler group bf16
 *       problems into launches the CUDA device must refuse. Empty also keeps them apart from every
 *       float32 class. A grouped bf16 kernel, when one exists, gets a key with dtype
 *       {@code BFLOAT16} (and the WMMA tile class) here, in the same change.
 * </ul>
 *
 * <p>Invariant: equal keys imply equal {@link KernelGeometry#of} block resources (threads,
 * registers, shared memory), so a super-kernel's blocks are all alike; only the count differs.
 */
public final class FusionKeys {
  private FusionKeys() {}

  /** The key of the super-kernel that can take {@code kernel}, or empty when it runs alone. */
  public static Optional<FusionKey> of(Kernel kernel) {
    if (!fusable(kernel)) {
      return Optional.empty();
    }
    if (kernel instanceof Gemm g) {
      String cls = KernelGeometry.isSkinny(g)
          ? "skinny" + KernelGeometry.SKINNY_MAX + "x" + KernelGeometry.SKINNY_SPAN
          : tile();
      return Optional.of(new FusionKey(KernelFamily.GEMM, DType.FLOAT32, cls));
    }
    if (kernel instanceof Conv2d c) {
      if (c.isDepthwise()) {
        return Optional.of(new FusionKey(KernelFamily.DEPTHWISE_CONV2D, DType.FLOAT32,
            "k" + c.kernelH() + "x" + c.kernelW() + "s" + c.strideH() + "x" + c.strideW()
                + "d" + c.dilationH() + "x" + c.dilationW()));
      }
      if (c.groups() == 1) {
        return Optional.of(new FusionKey(KernelFamily.CONV2D, DType.FLOAT32, tile()));
      }
    }
    return Optional.empty();
  }

  /** Whether a grouped kernel exists for the kernel's precision: float32 only, for now. */
  private static boolean fusable(Kernel kernel) {
    return !(kernel instanceof Gemm g && g.precision() != Precision.FP32)
        && !(kernel instanceof Conv2d c && c.precision() != Precision.FP32);
  }

  private static String tile() {
    return "tile" + KernelGeometry.TILE + "x" + KernelGeometry.TILE;
  }
}
