package dev.braid.device.kernel;

/**
 * The arithmetic a GEMM or convolution runs in. Arguments are always float32 buffers (see
 * {@link Kernel}); the precision says what the multiply sees.
 *
 * <ul>
 *   <li>{@link #FP32}: float32 operands, float32 accumulation (the default, every kernel of the set).
 *   <li>{@link #BF16_FP32_ACC}: the two multiplied operands (GEMM A and B, convolution X and W) are
 *       first rounded to bfloat16 with round-to-nearest-even, as CUDA's {@code __float2bfloat16_rn};
 *       products and sums are float32; bias, alpha/beta and the activation stay float32. On CUDA this
 *       is {@code braid_gemm_bf16} / {@code braid_conv2d_bf16} on tensor cores.
 * </ul>
 */
public enum Precision {
  FP32,
  BF16_FP32_ACC
}
