package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * Mean of {@code input} over {@code axes} (sorted, distinct, in range). The output holds the
 * product of the kept dimensions in row-major order, whether or not the model keeps the reduced
 * dimensions as size 1. Arguments: X, Y.
 */
public record ReduceMean(Shape input, List<Integer> axes) implements Reduction {
  public ReduceMean {
    Objects.requireNonNull(input, "input");
    axes = Reduction.checkedAxes("ReduceMean", input, axes);
  }

  @Override
  public long outputElements() {
    return input.size() / Math.max(1, reducedElements());
  }

  @Override
  public long flops() {
    return input.size();
  }
}
