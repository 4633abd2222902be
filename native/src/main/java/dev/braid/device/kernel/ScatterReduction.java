package dev.braid.device.kernel;

/** How a {@link Scatter} combines an update with the element it lands on (ONNX's {@code reduction}). */
public enum ScatterReduction {
  NONE, ADD, MUL, MAX, MIN;

  /** {@code current} combined with {@code update}. */
  public float apply(float current, float update) {
    return switch (this) {
      case NONE -> update;
      case ADD -> current + update;
      case MUL -> current * update;
      case MAX -> Math.max(current, update);
      case MIN -> Math.min(current, update);
    };
  }
}
