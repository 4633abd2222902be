package dev.braid.device.exec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each run-time value lives in the per-inference arena. Values are placed first-fit at
 * 64-byte-aligned offsets when defined (graph inputs before step 0) and their space is reused
 * after their last reader; graph outputs live to the end. Invariant: two values whose lifetimes
 * overlap never overlap in the arena, and a step's output never overlaps its inputs.
 */
final class ArenaPlan {
  /** Cache-line alignment keeps vector loops aligned and values off each other's lines. */
  static final long ALIGN_BYTES = 64;

  final Map<String, Long> offsetBytes = new HashMap<>();
  long sizeBytes;

  /**
   * @param sizes bytes of each root value to place
   * @param defined step index defining each value (-1 for graph inputs)
   * @param lastUse last step index reading each value (Integer.MAX_VALUE to keep it)
   */
  static ArenaPlan plan(Map<String, Long> sizes, Map<String, Integer> defined, Map<String, Integer> lastUse, int steps) {
    ArenaPlan p = new ArenaPlan();
    List<long[]> live = new ArrayList<>(); // {offset, end, lastUse}
    // The values each step defines, in the map's order, gathered in one pass: scanning every value
    // at every step was quadratic, minutes for an unrolled recurrent model of tens of thousands of steps.
    Map<Integer, List<String>> byStep = new HashMap<>();
    for (Map.Entry<String, Integer> e : defined.entrySet()) {
      byStep.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
    }
    for (int t = -1; t < steps; t++) {
      for (String name : byStep.getOrDefault(t, List.of())) {
        long size = (sizes.get(name) + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES;
        long off = firstFit(live, size);
        live.add(new long[] {off, off + size, lastUse.getOrDefault(name, t)});
        p.offsetBytes.put(name, off);
        p.sizeBytes = Math.max(p.sizeBytes, off + size);
      }
      int now = t;
      live.removeIf(b -> b[2] <= now && now >= 0);
    }
    return p;
  }

  private static long firstFit(List<long[]> live, long size) {
    live.sort((a, b) -> Long.compare(a[0], b[0]));
    long at = 0;
    for (long[] b : live) {
      if (b[0] - at >= size) {
        return at;
      }
      at = Math.max(at, b[1]);
    }
    return at;
  }
}
