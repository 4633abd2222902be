package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Concatenates {@code inputs} along {@code axis} (non-negative). Invariant: the inputs have one
 * rank and agree on every other dimension. Arguments: X0 .. X(n-1), Y.
 */
public record Concat(List<Shape> inputs, int axis) implements Kernel {
  public Concat {
    inputs = List.copyOf(inputs);
    if (inputs.isEmpty()) {
      throw new IllegalArgumentException("Concat needs at least one input");
    }
    Shape first = inputs.get(0);
    if (axis < 0 || axis >= first.rank()) {
      throw new IllegalArgumentException("Concat.axis must be in [0, " + first.rank() + "), got " + axis);
    }
    for (Shape s : inputs) {
      if (s.rank() != first.rank() || !s.withDim(axis, 0).equals(first.withDim(axis, 0))) {
        throw new IllegalArgumentException(
            "Concat inputs must agree except on axis " + axis + ", got " + inputs);
      }
    }
  }

  public Shape output() {
    int sum = 0;
    for (Shape s : inputs) {
      sum += s.dim(axis);
    }
    return inputs.get(0).withDim(axis, sum);
  }

  @Override
  public List<String> argNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      names.add("X" + i);
    }
    names.add("Y");
    return names;
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index < inputs.size() ? inputs.get(index).size() : output().size());
  }

  @Override
  public long flops() {
    return 0;
  }
}
