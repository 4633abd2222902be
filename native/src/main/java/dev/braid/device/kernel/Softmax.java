package dev.braid.device.kernel;

/**
 * Softmax along one axis of a tensor viewed as {@code [outer, axis, inner]}: each of the
 * {@code outer * inner} fibres of length {@code axis} is normalised. Arguments: X, Y.
 */
public record Softmax(int outer, int axis, int inner) implements ShapePreserving {
  public Softmax {
    Checks.positive("Softmax", "outer", outer);
    Checks.positive("Softmax", "axis", axis);
    Checks.positive("Softmax", "inner", inner);
  }

  @Override
  public long elements() {
    return (long) outer * axis * inner;
  }

  @Override
  public long flops() {
    return 4 * elements();
  }
}
