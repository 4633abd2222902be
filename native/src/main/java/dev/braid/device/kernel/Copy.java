package dev.braid.device.kernel;

/** Copies {@code elements} values: Reshape, Flatten, Squeeze, Unsqueeze or Identity when not aliased. Arguments: X, Y. */
public record Copy(long elements) implements ShapePreserving {
  public Copy {
    Checks.nonNegative("Copy", "elements", elements);
  }

  @Override
  public long flops() {
    return 0;
  }
}
