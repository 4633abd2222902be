package dev.braid.device.kernel;

import java.util.List;

/**
 * A kernel of one input and one output of the same number of elements, {@link #elements()}:
 * copies, unary ops, and the ops along one axis whose result has the input's shape. Arguments: X,
 * Y, each of {@code elements()} floats.
 */
public sealed interface ShapePreserving extends Kernel permits Copy, Unary, Softmax, AlongAxis {
  /** Elements of X, and of Y. */
  long elements();

  @Override
  default List<String> argNames() {
    return List.of("X", "Y");
  }

  @Override
  default long argBytes(int index) {
    return Checks.bytes(elements());
  }
}
