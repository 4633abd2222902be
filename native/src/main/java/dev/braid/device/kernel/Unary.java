package dev.braid.device.kernel;

import java.util.Objects;

/**
 * {@code Y = op(X)} over {@code elements} values. {@code min} and {@code max} are the op's two
 * parameters: Clip's bounds (infinite when absent), an activation's alpha and beta, and so on, as
 * each {@link UnaryOp} documents; ops without parameters ignore them. Arguments: X, Y.
 */
public record Unary(UnaryOp op, long elements, float min, float max) implements ShapePreserving {
  public Unary {
    Objects.requireNonNull(op, "op");
    Checks.nonNegative("Unary", "elements", elements);
    if (Float.isNaN(min) || Float.isNaN(max)) {
      throw new IllegalArgumentException("Unary bounds must not be NaN, got [" + min + ", " + max + "]");
    }
  }

  /** An op without bounds. */
  public static Unary of(UnaryOp op, long elements) {
    return new Unary(op, elements, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
  }

  /** An op with its two parameters (see {@link UnaryOp}). */
  public static Unary of(UnaryOp op, long elements, float p, float q) {
    return new Unary(op, elements, p, q);
  }

  public static Unary clip(long elements, float min, float max) {
    return new Unary(UnaryOp.CLIP, elements, min, max);
  }

  @Override
  public long flops() {
    return elements * op.flopsPerElement();
  }
}
