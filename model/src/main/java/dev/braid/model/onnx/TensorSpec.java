package dev.braid.model.onnx;

import dev.braid.model.DType;
import java.util.List;
import java.util.Objects;

/**
 * A graph input or output as the ONNX file declares it, before any batch size is chosen.
 * {@code dims} is null when the file gives no shape at all (rank unknown); otherwise its size is
 * the rank and each entry may be fixed, symbolic or unknown.
 */
public record TensorSpec(String name, DType dtype, List<DimSpec> dims) {
  public TensorSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    dims = dims == null ? null : List.copyOf(dims);
  }

  public boolean hasShape() {
    return dims != null;
  }

  public int rank() {
    if (dims == null) {
      throw new IllegalStateException("tensor '" + name + "' has no declared shape");
    }
    return dims.size();
  }

  /** True when the tensor has rank >= 1 and its first dimension is not fixed. */
  public boolean hasDynamicFirstDim() {
    return dims != null && !dims.isEmpty() && !dims.get(0).isFixed();
  }

  /** The dims in Triton's form (-1 for dynamic); empty if the shape is unknown. */
  public long[] tritonDims() {
    if (dims == null) {
      return new long[0];
    }
    long[] d = new long[dims.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = dims.get(i).tritonDim();
    }
    return d;
  }

  @Override
  public String toString() {
    return name + ": " + dtype.onnxName() + " " + (dims == null ? "[?]" : dims.toString());
  }
}
