package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * ONNX ScatterElements ({@code nd == false}, along {@code axis}; also the deprecated Scatter) and
 * ScatterND ({@code nd == true}; {@code axis} unused): Y starts as a copy of Data, then each update,
 * in the order of {@code indices}, is combined ({@link ScatterReduction}) into the element (or,
 * for ScatterND, the slice) its index addresses. Applying updates in order makes duplicate indices
 * deterministic (the last wins for NONE). Indices are float32 integers; a negative one counts from
 * the end, one out of range fails the launch. Arguments: Data, Indices, Updates, Y.
 */
public record Scatter(boolean nd, Shape data, Shape indices, int axis, ScatterReduction reduction) implements Kernel {
  public Scatter {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(indices, "indices");
    Objects.requireNonNull(reduction, "reduction");
    if (nd) {
      int q = indices.rank();
      if (q < 1 || indices.dim(q - 1) < 1 || indices.dim(q - 1) > data.rank()) {
        throw new IllegalArgumentException("Scatter (ND): indices " + indices + " do not fit data " + data);
      }
    } else if (indices.rank() != data.rank() || axis < 0 || axis >= data.rank()) {
      throw new IllegalArgumentException("Scatter (elements): indices " + indices + " must have the rank of data "
          + data + " and axis (" + axis + ") must be in [0, " + data.rank() + ")");
    }
  }

  /** Elements of Updates: the indices' shape (elements) or their tuples times the addressed slice (ND). */
  public long updateElements() {
    if (!nd) {
      return indices.size();
    }
    int k = indices.dim(indices.rank() - 1);
    return (long) (indices.size() / k) * data.product(k, data.rank());
  }

  @Override
  public List<String> argNames() {
    return List.of("Data", "Indices", "Updates", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(switch (index) {
      case 1 -> indices.size();
      case 2 -> updateElements();
      default -> data.size();
    });
  }

  @Override
  public long flops() {
    return reduction == ScatterReduction.NONE ? 0 : updateElements();
  }
}
