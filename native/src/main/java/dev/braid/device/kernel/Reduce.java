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
public record Reduce(ReduceOp op, Shape input, List<Integer> axes, boolean integral) implements Kernel {
  /** The largest integer magnitude float32 carries exactly. */
  public static final double EXACT_INTEGER_LIMIT = 1 << 24;

  public Reduce {
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(input, "input");
    axes = List.copyOf(axes);
    for (int i = 0; i < axes.size(); i++) {
      int a = axes.get(i);
      if (a < 0 || a >= input.rank() || (i > 0 && axes.get(i - 1) >= a)) {
        throw new IllegalArgumentException(
            "Reduce.axes must be sorted, distinct and in [0, " + input.rank() + "), got " + axes);
      }
    }
    if (op.isArg() && axes.size() != 1) {
      throw new IllegalArgumentException("Reduce." + op + " reduces exactly one axis, got " + axes);
    }
  }

  /** Elements reduced into each output. */
  public long reducedElements() {
    long r = 1;
    for (int a : axes) {
      r *= input.dim(a);
    }
    return r;
  }

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
  public List<String> argNames() {
    return List.of("X", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 0 ? input.size() : outputElements());
  }

  @Override
  public long flops() {
    return (long) input.size() * op.flopsPerElement();
  }
}
