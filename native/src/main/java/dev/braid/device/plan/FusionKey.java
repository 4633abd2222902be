package dev.braid.device.plan;

import dev.braid.model.DType;
import java.util.Objects;

/**
 * What must match for ops of different models (or of different requests) to run as one
 * super-kernel: the kernel family, the element type, and the shape class the grouped kernel
 * accepts (for example a GEMM tile configuration, or a convolution's window and stride). Ops with
 * equal keys may be fused; ops with different keys never are.
 *
 * @param shapeClass a short, stable description, e.g. {@code "tile64x64"} or {@code "k3s1"}
 */
public record FusionKey(KernelFamily family, DType dtype, String shapeClass) {
  public FusionKey {
    Objects.requireNonNull(family, "family");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(shapeClass, "shapeClass");
  }

  @Override
  public String toString() {
    return family + "/" + dtype.onnxName() + "/" + shapeClass;
  }
}
