package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * One reduction of {@code input} over {@code axes} (sorted, distinct, in range): the ONNX ReduceX
 * operators and ArgMax/ArgMin (one axis). The output holds the product of the kept dimensions in
 * row-major order, whether or not the model keeps the reduced dimensions as size 1. When
 * {@code integral} is set the tensor is of an integer type carried as float32: a result beyond
 * 2^24 in magnitude cannot be carried exactly and fails the launch instead of being rounded.
 * Arguments: X, Y.
 */
public record Reduce(ReduceOp op, Shape input, List<Integer> axes, boolean integral) implements Reduction {
  /** The largest integer magnitude float32 carries exactly. */
  public static final double EXACT_INTEGER_LIMIT = 1 << 24;

  public Reduce {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(input, "input");
    axes = Reduction.checkedAxes("Reduce", input, axes);
    if (op.isArg() && axes.size() != 1) {
      throw new IllegalArgumentException("Reduce." + op + " reduces exactly one axis, got " + axes);
    }
  }

  @Override
  public long outputElements() {
    long kept = 1;
    for (int d = 0; d < input.rank(); d++) {
      if (!axes.contains(d)) {
        kept *= input.dim(d);
      }
    }
    return kept;
  }

  @Override
  public long flops() {
    return (long) input.size() * op.flopsPerElement();
  }
}
