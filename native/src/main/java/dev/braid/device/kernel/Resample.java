package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;

/**
 * Separable interpolation (Resize and Upsample in modes linear and cubic): output element
 * {@code Y[c] = sum over taps t_0..t_{r-1} of prod_d w_d(c_d, t_d) * X[i_0(c_0, t_0), ...]}, with
 * each axis's (index, weight) pairs read from a table built at load
 * ({@code dev.braid.model.fold.ResampleTables}): for axis d, {@code output.dim(d)} rows of
 * {@code taps.get(d)} pairs, axes one after another. A row whose first index is negative marks the
 * output elements on it as {@code fill} (tf_crop_and_resize's extrapolation); a pair of weight 0
 * is skipped. Invariants: input and output of one rank, at most {@link #MAX_RANK}; every axis at
 * least one tap; indices exact in float32 (every axis below 2^24). Arguments: X, Table, Y.
 */
public record Resample(Shape input, Shape output, List<Integer> taps, float fill) implements Kernel {
  /** BraidShape's rank limit, which the CUDA kernel's geometry travels in. */
  public static final int MAX_RANK = 8;

  public Resample {
    taps = List.copyOf(taps);
    if (input.rank() != output.rank() || taps.size() != input.rank()) {
      throw new IllegalArgumentException("Resample: input " + input + ", output " + output + " and taps " + taps
          + " must have one rank");
    }
    if (input.rank() > MAX_RANK) {
      throw new IllegalArgumentException("Resample: rank " + input.rank() + " exceeds " + MAX_RANK);
    }
    for (int d = 0; d < input.rank(); d++) {
      Checks.positive("Resample", "taps[" + d + "]", taps.get(d));
      if (input.dim(d) > (1 << 24)) {
        throw new IllegalArgumentException("Resample: input axis " + d + " of " + input.dim(d)
            + " exceeds 2^24, beyond float32's exact indices");
      }
    }
  }

  /** Floats of the table: two per tap of every row of every axis. */
  public long tableElements() {
    long n = 0;
    for (int d = 0; d < output.rank(); d++) {
      n += 2L * output.dim(d) * taps.get(d);
    }
    return n;
  }

  /** Taps per output element: the product of every axis's. */
  public long tapsPerOutput() {
    long p = 1;
    for (int t : taps) {
      p *= t;
    }
    return p;
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Table", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(switch (index) {
      case 0 -> input.size();
      case 1 -> tableElements();
      default -> output.size();
    });
  }

  /**
   * Per output element and tap: the weight's product over the axes ({@code rank - 1} multiplies)
   * and one multiply-add; the table lookups are not counted.
   */
  @Override
  public long flops() {
    return output.size() * tapsPerOutput() * (output.rank() + 1);
  }

  /** X is read where the taps point (at most every tap of every output, at most all of X), plus the table. */
  @Override
  public long bytesRead() {
    return Checks.bytes(Math.min((long) input.size(), output.size() * tapsPerOutput()) + tableElements());
  }
}
