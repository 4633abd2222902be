package dev.braid.device.kernel;

/**
 * An activation fused into a kernel's epilogue, expressed as a clamp to {@code [min, max]}:
 * {@link #NONE} is (-inf, +inf), {@link #RELU} is [0, +inf), Clip(a, b) is [a, b].
 */
public record Activation(float min, float max) {
  public static final Activation NONE = new Activation(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
  public static final Activation RELU = new Activation(0f, Float.POSITIVE_INFINITY);

  public Activation {
    if (Float.isNaN(min) || Float.isNaN(max) || min > max) {
      throw new IllegalArgumentException("activation needs min <= max, got [" + min + ", " + max + "]");
    }
  }

  public static Activation clip(float min, float max) {
    return new Activation(min, max);
  }

  public boolean isNone() {
    return min == Float.NEGATIVE_INFINITY && max == Float.POSITIVE_INFINITY;
  }

  /** Applies the clamp (NaN passes through, as ONNX Relu and Clip leave it). */
  public float apply(float x) {
    return x < min ? min : (x > max ? max : x);
  }
}
