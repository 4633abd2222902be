package dev.braid.device.kernel;

import java.util.List;

/**
 * Layer normalisation of {@code rows} rows of {@code cols} values:
 * {@code Y = (X - mean) / sqrt(var + epsilon) * scale + bias}, with scale and bias of length
 * {@code cols} and the population variance. Arguments: X, Scale, [Bias], Y.
 */
public record LayerNorm(int rows, int cols, float epsilon, boolean hasBias) implements Kernel {
  public LayerNorm {
    Checks.positive("LayerNorm", "rows", rows);
    Checks.positive("LayerNorm", "cols", cols);
    if (!(epsilon >= 0) || Float.isInfinite(epsilon)) {
      throw new IllegalArgumentException("LayerNorm.epsilon must be finite and >= 0, got " + epsilon);
    }
  }

  @Override
  public List<String> argNames() {
    return hasBias ? List.of("X", "Scale", "Bias", "Y") : List.of("X", "Scale", "Y");
  }

  @Override
  public long argBytes(int index) {
    String name = argNames().get(index);
    return name.equals("Scale") || name.equals("Bias") ? Checks.bytes(cols) : Checks.bytes((long) rows * cols);
  }

  @Override
  public long flops() {
    return 8L * rows * cols;
  }
}
