package dev.braid.device.kernel;

import java.util.List;

/**
 * ONNX OneHot with constant depth and values, the output viewed as {@code [outer, depth, inner]}
 * and the indices as {@code [outer, inner]}: {@code Y[o, j, i] = on} where {@code j} equals the
 * index (a negative one counts from the end), {@code off} elsewhere; an index outside
 * {@code [-depth, depth)} gives a row of {@code off}, as the operator defines. Arguments:
 * Indices, Y.
 */
public record OneHot(int outer, int depth, int inner, float off, float on) implements Kernel {
  public OneHot {
    Checks.nonNegative("OneHot", "outer", outer);
    Checks.positive("OneHot", "depth", depth);
    Checks.nonNegative("OneHot", "inner", inner);
  }

  @Override
  public List<String> argNames() {
    return List.of("Indices", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes((long) outer * inner * (index == 0 ? 1 : depth));
  }

  @Override
  public long flops() {
    return 0;
  }
}
