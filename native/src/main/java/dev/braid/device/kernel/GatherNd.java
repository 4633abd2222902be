package dev.braid.device.kernel;

import dev.braid.model.Shape;
import java.util.List;
import java.util.Objects;

/**
 * ONNX GatherND: the last axis of {@code indices} (length {@code k}) addresses data's axes
 * {@code batchDims .. batchDims + k - 1}; each index tuple copies the slice of data's remaining
 * axes. The first {@code batchDims} axes of indices and data are shared. Output shape: indices'
 * dims but the last, then data's dims after {@code batchDims + k}. Indices are float32 integers;
 * negative ones count from the end, one out of range fails the launch. Arguments: Data, Indices, Y.
 */
public record GatherNd(Shape data, Shape indices, int batchDims) implements Kernel {
  public GatherNd {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(indices, "indices");
    int q = indices.rank();
    if (q < 1 || batchDims < 0 || batchDims >= Math.min(q, data.rank())
        || indices.dim(q - 1) < 1 || indices.dim(q - 1) > data.rank() - batchDims) {
      throw new IllegalArgumentException("GatherNd: indices " + indices + " with batchDims " + batchDims
          + " do not fit data " + data);
    }
  }

  /** Components per index tuple. */
  public int depth() {
    return indices.dim(indices.rank() - 1);
  }

  /** Index tuples in all. */
  public int tuples() {
    return indices.size() / depth();
  }

  /** Elements of data one tuple copies. */
  public int slice() {
    return data.product(batchDims + depth(), data.rank());
  }

  public long outputElements() {
    return (long) tuples() * slice();
  }

  @Override
  public List<String> argNames() {
    return List.of("Data", "Indices", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(switch (index) {
      case 0 -> data.size();
      case 1 -> indices.size();
      default -> outputElements();
    });
  }

  @Override
  public long bytesRead() {
    return Checks.bytes(Math.min((long) data.size(), outputElements()) + indices.size());
  }

  @Override
  public long flops() {
    return 0;
  }
}
