package dev.braid.device.kernel;

import java.util.Objects;

/**
 * An operation on each fibre of a tensor viewed as {@code [outer, axis, inner]} whose result has
 * the input's shape: LogSoftmax, Hardmax, CumSum ({@link AxisOp}). When {@code integral} is set
 * (CumSum of an integer tensor carried as float32) a partial sum beyond 2^24 in magnitude fails
 * the launch instead of being rounded. Arguments: X, Y.
 */
public record AlongAxis(AxisOp op, int outer, int axis, int inner, boolean integral) implements ShapePreserving {
  public AlongAxis {
    Objects.requireNonNull(op, "op");
    Checks.nonNegative("AlongAxis", "outer", outer);
    Checks.nonNegative("AlongAxis", "axis", axis);
    Checks.nonNegative("AlongAxis", "inner", inner);
  }

  @Override
  public long elements() {
    return (long) outer * axis * inner;
  }

  @Override
  public long flops() {
    return switch (op) {
      case LOG_SOFTMAX -> 5 * elements();
      case HARDMAX -> elements();
      default -> elements();
    };
  }
}
