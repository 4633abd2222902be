package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;

/**
 * A reduction of {@link #input()} over {@link #axes()} (sorted, distinct, in range) into {@link
 * #outputElements()} values, one per position of the kept dimensions in row-major order. Arguments:
 * X (the input), Y (the output).
 */
public sealed interface Reduction extends Kernel permits Reduce, ReduceMean {
  Shape input();

  List<Integer> axes();

  /** Elements of Y. */
  long outputElements();

  /** Elements reduced into each output. */
  default long reducedElements() {
    long r = 1;
    for (int a : axes()) {
      r *= input().dim(a);
    }
    return r;
  }

  @Override
  default List<String> argNames() {
    return List.of("X", "Y");
  }

  @Override
  default long argBytes(int index) {
    return Checks.bytes(index == 0 ? input().size() : outputElements());
  }

  /**
   * {@code axes} as an immutable list, or an IllegalArgumentException naming {@code kernel}'s
   * field and the bad list unless they are sorted, distinct and in [0, rank of {@code input}).
   */
  static List<Integer> checkedAxes(String kernel, Shape input, List<Integer> axes) {
    List<Integer> copy = List.copyOf(axes);
    for (int i = 0; i < copy.size(); i++) {
      int a = copy.get(i);
      if (a < 0 || a >= input.rank() || (i > 0 && copy.get(i - 1) >= a)) {
        throw new IllegalArgumentException(
            kernel + ".axes must be sorted, distinct and in [0, " + input.rank() + "), got " + copy);
      }
    }
    return copy;
  }
}
