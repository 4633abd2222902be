package dev.braid.device.kernel;

/** Elementwise binary operators. */
public enum BinaryOp {
  ADD, SUB, MUL, DIV, POW;

  /** The operator applied to one pair, as the CPU reference computes it. */
  public float apply(float a, float b) {
    return switch (this) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case POW -> (float) Math.pow(a, b);
    };
  }
}
