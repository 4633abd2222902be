package dev.braid.coordinator.cli;

import dev.braid.model.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;

/**
 * The largest entries of a tensor's first batch item (the whole tensor when its rank is 0 or 1),
 * for command output.
 */
final class TopK {
  private TopK() {}

  /** Flat indices (within item 0) of the {@code k} largest values, largest first; ties by index. */
  static int[] indices(Tensor t, int k) {
    return indices(t.toFloats(), itemDims(t.shape().dims()), k);
  }

  /** The same over plain values of an item of {@code itemDims} (the first item of {@code v}). */
  static int[] indices(float[] v, int[] itemDims, int k) {
    int itemSize = 1;
    for (int d : itemDims) {
      itemSize *= d;
    }
    // A tensor whose batch dimension is 0 has no item 0, whatever its other dims.
    itemSize = Math.min(itemSize, v.length);
    int count = Math.min(k, itemSize);
    PriorityQueue<Integer> heap = new PriorityQueue<>((a, b) -> {
      int c = Float.compare(v[a], v[b]);
      return c != 0 ? c : Integer.compare(b, a);
    });
    for (int i = 0; i < itemSize; i++) {
      heap.add(i);
      if (heap.size() > count) {
        heap.poll();
      }
    }
    int[] out = new int[heap.size()];
    for (int i = out.length - 1; i >= 0; i--) {
      out[i] = heap.poll();
    }
    return out;
  }

  /**
   * "[412]=9.731, [17]=9.002, ..." with multi-indices within the item for rank > 2; "(no
   * elements)" for a tensor with a zero-sized dimension.
   */
  static String describe(Tensor t, int k) {
    return describe(t.toFloats(), t.shape().dims(), k);
  }

  /** The same over plain values and the tensor's dims (the gRPC client has no Tensor). */
  static String describe(float[] v, int[] dims, int k) {
    int[] itemDims = itemDims(dims);
    if (v.length == 0) {
      return "(no elements)";
    }
    List<String> parts = new ArrayList<>();
    for (int flat : indices(v, itemDims, k)) {
      parts.add(index(flat, itemDims) + "=" + String.format(Locale.ROOT, "%.5g", v[flat]));
    }
    return String.join(", ", parts);
  }

  /** The dims of one batch item: all but the first, or the whole tensor at rank 0 or 1. */
  private static int[] itemDims(int[] dims) {
    if (dims.length <= 1) {
      int n = 1;
      for (int d : dims) {
        n *= d;
      }
      return new int[] {n};
    }
    return Arrays.copyOfRange(dims, 1, dims.length);
  }

  private static String index(int flat, int[] dims) {
    int[] idx = new int[dims.length];
    for (int d = dims.length - 1; d >= 0; d--) {
      idx[d] = flat % dims[d];
      flat /= dims[d];
    }
    StringBuilder b = new StringBuilder("[");
    for (int d = 0; d < idx.length; d++) {
      b.append(d == 0 ? "" : ",").append(idx[d]);
    }
    return b.append(']').toString();
  }
}
