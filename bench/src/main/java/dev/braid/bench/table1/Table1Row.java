package dev.braid.bench.table1;

import java.util.EnumMap;
import java.util.Map;

/**
 * One row of Table 1: R problems of one shape, the median time of each approach from its first
 * launch to its last completion, and what follows from them.
 *
 * @param shape the SGEMM shape every problem has
 * @param r how many problems (models)
 * @param medianNanos per approach, the median over the timed runs; each > 0
 * @param runs timed runs per approach
 */
public record Table1Row(Table1Shape shape, int r, Map<Approach, Long> medianNanos, int runs) {
  public Table1Row {
    medianNanos = Map.copyOf(new EnumMap<>(medianNanos));
    for (Approach a : Approach.values()) {
      Long t = medianNanos.get(a);
      if (t == null || t <= 0) {
        throw new IllegalArgumentException(shape.key() + " R=" + r + ": " + a.label()
            + " took " + t + " ns; every approach needs a positive time");
      }
    }
  }

  /** FLOPs of the R problems together. */
  public long flops() {
    return shape.flopsPerProblem() * r;
  }

  /** FLOPs per nanosecond, i.e. GFLOP/s. */
  public double gflops(Approach a) {
    return (double) flops() / medianNanos.get(a);
  }

  /** The faster of time-only and space-only (time-only on a tie, the simpler). */
  public Approach nextBest() {
    return gflops(Approach.SPACE_ONLY) > gflops(Approach.TIME_ONLY) ? Approach.SPACE_ONLY : Approach.TIME_ONLY;
  }

  /** Space-time's throughput over {@code baseline}'s. */
  public double speedupOver(Approach baseline) {
    return gflops(Approach.SPACE_TIME) / gflops(baseline);
  }

  /** Space-time's throughput over the next best approach's, the figure Table 1 reports. */
  public double speedupVsNextBest() {
    return speedupOver(nextBest());
  }
}
