package dev.braid.model;

import java.util.Objects;

/** A named graph value with its dtype and static shape. */
public record ValueInfo(String name, DType dtype, Shape shape) {
  public ValueInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shape, "shape");
  }
}
