package dev.braid.device.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * A kernel's CPU work as phases of independent tasks: every task of phase {@code p} finishes
 * before any of phase {@code p + 1} starts, and tasks within a phase run in parallel. A grouped
 * launch runs phase {@code p} of all its problems together.
 */
final class Work {
  private final List<List<Runnable>> phases = new ArrayList<>();

  /** Starts a new phase; later {@link #task} calls add to it. */
  Work phase() {
    phases.add(new ArrayList<>());
    return this;
  }

  Work task(Runnable r) {
    if (phases.isEmpty()) {
      phase();
    }
    phases.get(phases.size() - 1).add(r);
    return this;
  }

  /** One phase holding {@code chunks} tasks over {@code [0, total)}, each handed its range. */
  static Work chunked(long total, long grain, RangeTask body) {
    Work w = new Work().phase();
    long chunks = Math.max(1, (total + grain - 1) / grain);
    for (long c = 0; c < chunks; c++) {
      int from = (int) (c * total / chunks);
      int to = (int) ((c + 1) * total / chunks);
      w.task(() -> body.run(from, to));
    }
    return w;
  }

  /** Appends {@code next}'s phases after this one's: they start when all of this work is done. */
  Work then(Work next) {
    phases.addAll(next.phases);
    return this;
  }

  int phaseCount() {
    return phases.size();
  }

  List<Runnable> phase(int p) {
    return p < phases.size() ? phases.get(p) : List.of();
  }

  /** A body over an index range. */
  @FunctionalInterface
  interface RangeTask {
    void run(int from, int to);
  }
}
