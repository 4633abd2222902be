package dev.braid.device.cpu;

import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Precision;

/**
 * The reference for {@link Precision#BF16_FP32_ACC}, computed as the CUDA device does it: a first
 * phase rounds the two multiplied operands (GEMM A and B, convolution X and W) to bf16 into
 * private copies, exactly as {@code braid_f32_to_bf16} converts them into scratch; then the
 * float32 kernel ({@link GemmCpu}, {@link ConvCpu}) runs on the copies. Products of two bf16 values
 * are exact in float32, and the float32 kernels accumulate in float or better (compensated, or
 * double across K blocks), so what remains against the GPU is summation order alone. Bias,
 * alpha/beta and the activation read the caller's float32 arguments untouched.
 */
final class Bf16Cpu {
  /** Elements per rounding task: a few hundred microseconds of work, far above fork-join overhead. */
  static final int ROUND_GRAIN = 1 << 16;

  private Bf16Cpu() {}

  static boolean applies(Kernel kernel) {
    return (kernel instanceof Gemm g && g.precision() == Precision.BF16_FP32_ACC)
        || (kernel instanceof Conv2d c && c.precision() == Precision.BF16_FP32_ACC);
  }

  static Work plan(Kernel kernel, Args args) {
    float[][] arrays = args.arrays().clone();
    int[] offsets = args.offsets().clone();
    Work w = new Work().phase();
    // Arguments 0 and 1 are the multiplied operands of both records (A, B / X, W).
    for (int i = 0; i < 2; i++) {
      int n = (int) (kernel.argBytes(i) / Float.BYTES);
      float[] src = args.array(i);
      int srcOff = args.offset(i);
      float[] dst = new float[n];
      for (int from = 0; from < n; from += ROUND_GRAIN) {
        int f = from, len = Math.min(ROUND_GRAIN, n - from);
        w.task(() -> Bfloat16.round(src, srcOff + f, dst, f, len));
      }
      arrays[i] = dst;
      offsets[i] = 0;
    }
    Args rounded = new Args(arrays, offsets);
    Work body = kernel instanceof Gemm g ? GemmCpu.plan(g, rounded) : ConvCpu.plan((Conv2d) kernel, rounded);
    return w.then(body);
  }
}
