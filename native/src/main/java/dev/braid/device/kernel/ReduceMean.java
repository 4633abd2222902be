package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * Mean of {@code input} over {@code axes} (sorted, distinct, in range). The output holds the
 * product of the kept dimensions in row-major order, whether or not the model keeps the reduced
 * dimensions as size 1. Arguments: X, Y.
 */
public record ReduceMean(Shape input, List<Integer> axes) implements Kernel {
  public ReduceMean {
    Objects.requireNonNull(input, "input");
    axes = List.copyOf(axes);
    for (int i = 0; i < axes.size(); i++) {
      int a = axes.get(i);
      if (a < 0 || a >= input.rank() || (i > 0 && axes.get(i - 1) >= a)) {
        throw new IllegalArgumentException(
            "ReduceMean.axes must be sorted, distinct and in [0, " + input.rank() + "), got " + axes);
      }
    }
  }

  /** Elements averaged into each output. */
  public long reducedElements() {
    long r = 1;
    for (int a : axes) {
      r *= input.dim(a);
    }
    return r;
  }

  public long outputElements() {
    return input.size() / Math.max(1, reducedElements());
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 0 ? input.size() : outputElements());
  }

  @Override
  public long flops() {
    return input.size();
  }
}
