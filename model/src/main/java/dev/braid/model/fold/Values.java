package dev.braid.model.fold;

import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;

/** What shape inference may ask about a node's inputs while a graph is being bound. */
interface Values {
  /** The dtype and static shape of a known value; throws ModelException if unknown. */
  ValueInfo info(String name);

  /** The value's constant data, or null when it is computed at run time. */
  Tensor constant(String name);

  /** The model's default-domain opset version. */
  int opset();
}
