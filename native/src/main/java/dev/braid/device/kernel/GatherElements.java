package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * ONNX GatherElements: {@code Y[c] = Data[c with c[axis] = Indices[c]]} for every coordinate
 * {@code c} of {@code indices} (same rank as data; every other dimension at most data's). Indices
 * arrive as float32 integers; a negative one counts from the end, one outside {@code [-d, d)}
 * fails the launch. Arguments: Data, Indices, Y.
 */
public record GatherElements(Shape data, Shape indices, int axis) implements Kernel {
  public GatherElements {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(indices, "indices");
    if (indices.rank() != data.rank() || axis < 0 || axis >= data.rank()) {
      throw new IllegalArgumentException("GatherElements: indices " + indices + " must have the rank of data " + data
          + " and axis (" + axis + ") must be in [0, " + data.rank() + ")");
    }
    for (int d = 0; d < data.rank(); d++) {
      if (d != axis && indices.dim(d) > data.dim(d)) {
        throw new IllegalArgumentException("GatherElements: indices " + indices + " exceed data " + data + " on axis " + d);
      }
    }
  }

  @Override
  public List<String> argNames() {
    return List.of("Data", "Indices", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 0 ? data.size() : indices.size());
  }

  /** Data is read only where indices point: at most one element per index, plus the indices. */
  @Override
  public long bytesRead() {
    return Checks.bytes(Math.min((long) data.size(), indices.size()) + indices.size());
  }

  @Override
  public long flops() {
    return 0;
  }
}
