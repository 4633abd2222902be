package dev.braid.device.kernel;

import java.util.List;

/**
 * A kernel with all its static parameters: what one launch computes, independent of where its
 * arguments live. Every implementation is an immutable record that validates its parameters in
 * its constructor, with messages carrying the bad value.
 *
 * <p>Arguments are float32 buffers passed in the order of {@link #argNames()}: inputs first, then
 * the {@link #outputCount()} outputs. {@link #argBytes(int)} is the least length of each slice.
 * Outputs must not overlap inputs.
 */
public sealed interface Kernel
    permits Gemm, Conv2d, Binary, ShapePreserving, Pool2d, GlobalAveragePool, LayerNorm,
        Reduction, Transpose, Concat, Gather, BatchNorm, Where, TopK, Remap, GatherElements, GatherNd, Scatter, OneHot, PoolNd,
        DirectConvolution,
        Resample, GridSample, RoiAlign {
  /** Argument names, inputs then outputs, for messages and launch validation. */
  List<String> argNames();

  /** The least bytes argument {@code index} must have. */
  long argBytes(int index);

  /** How many trailing arguments are written; 1 for every kernel in this set. */
  default int outputCount() {
    return 1;
  }

  /** Floating-point operations (a multiply-add counts two), for the cost model. */
  long flops();

  /** Bytes the kernel reads at least once (sum of its input arguments). */
  default long bytesRead() {
    long b = 0;
    int inputs = argNames().size() - outputCount();
    for (int i = 0; i < inputs; i++) {
      b += argBytes(i);
    }
    return b;
  }

  /** Bytes the kernel writes (sum of its output arguments). */
  default long bytesWritten() {
    long b = 0;
    int n = argNames().size();
    for (int i = n - outputCount(); i < n; i++) {
      b += argBytes(i);
    }
    return b;
  }
}
