package dev.braid.device.plan;

/** The implementation family a kernel belongs to: what a super-kernel may group. */
public enum KernelFamily {
  /** General matrix multiply, batched or not (Gemm, MatMul, 1x1 convolutions are not here). */
  GEMM,
  /** Dense or grouped 2-D convolution (implicit GEMM). */
  CONV2D,
  /** Depthwise 2-D convolution (one filter per channel). */
  DEPTHWISE_CONV2D,
  /** Elementwise unary and binary kernels, batch normalization as scale and shift. */
  ELEMENTWISE,
  /** Max, average and global average pooling. */
  POOL,
  /** Softmax, layer normalization and reductions. */
  NORMALIZATION,
  /** Transpose, concat, gather and copies. */
  LAYOUT
}
