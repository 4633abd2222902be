package dev.braid.coordinator.cli;

import dev.braid.model.Shape;
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
    Shape s = t.shape();
    int itemSize = s.rank() <= 1 ? s.size() : s.product(1, s.rank());
    float[] v = t.toFloats();
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

  /** "[412]=9.731, [17]=9.002, ..." with multi-indices within the item for rank > 2. */
  static String describe(Tensor t, int k) {
    Shape s = t.shape();
    int[] itemDims = s.rank() <= 1 ? new int[] {s.size()} : Arrays.copyOfRange(s.dims(), 1, s.rank());
    float[] v = t.toFloats();
    List<String> parts = new ArrayList<>();
    for (int flat : indices(t, k)) {
      parts.add(index(flat, itemDims) + "=" + String.format(Locale.ROOT, "%.5g", v[flat]));
    }
    return String.join(", ", parts);
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
