package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * ONNX Gather: picks slices of {@code data} along {@code axis} at {@code indexCount} indices. The
 * indices arrive as a float32 buffer holding integers (exact up to 2^24, far beyond any axis
 * Braid meets); a negative index counts from the end, one out of {@code [-d, d)} fails the launch.
 * Output shape: data's dims before axis, the indices' shape, data's dims after axis. Arguments:
 * Data, Indices, Y.
 */
public record Gather(Shape data, int axis, int indexCount) implements Kernel {
  public Gather {
    Objects.requireNonNull(data, "data");
    if (axis < 0 || axis >= data.rank()) {
      throw new IllegalArgumentException("Gather.axis must be in [0, " + data.rank() + "), got " + axis);
    }
    Checks.nonNegative("Gather", "indexCount", indexCount);
  }

  public int outer() {
    return data.product(0, axis);
  }

  public int inner() {
    return data.product(axis + 1, data.rank());
  }

  @Override
  public List<String> argNames() {
    return List.of("Data", "Indices", "Y");
  }

  @Override
  public long argBytes(int index) {
    return switch (index) {
      case 0 -> Checks.bytes(data.size());
      case 1 -> Checks.bytes(indexCount);
      default -> Checks.bytes((long) outer() * indexCount * inner());
    };
  }

  @Override
  public long flops() {
    return 0;
  }
}
