package dev.braid.model.repo;

import dev.braid.model.DType;
import java.util.Arrays;
import java.util.Objects;

/**
 * A model input or output as {@code config.pbtxt} declares it. {@code dims} excludes the batch
 * dimension when the model's {@code maxBatchSize > 0}; -1 marks a dynamic dimension.
 */
public record TensorConfig(String name, DType dtype, long[] dims) {
  public TensorConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    dims = dims.clone();
  }

  @Override
  public long[] dims() {
    return dims.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorConfig t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(dims, t.dims);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(dims));
  }

  @Override
  public String toString() {
    return name + ": " + dtype.onnxName() + " " + Arrays.toString(dims);
  }
}
