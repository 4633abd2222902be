package dev.braid.device.kernel;

import java.util.List;

/** Copies {@code elements} values: Reshape, Flatten, Squeeze, Unsqueeze or Identity when not aliased. Arguments: X, Y. */
public record Copy(long elements) implements Kernel {
  public Copy {
    Checks.nonNegative("Copy", "elements", elements);
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(elements);
  }

  @Override
  public long flops() {
    return 0;
  }
}
