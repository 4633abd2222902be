package dev.braid.bench.table1;

import java.util.List;

/**
 * One shape's geometric means over its rows (the paper takes them over 2 <= R <= 120) beside the
 * paper's.
 *
 * @param shape the shape
 * @param rows how many R values the means are over
 * @param minR the smallest R among them
 * @param maxR the largest
 * @param vsNextBest geometric mean of space-time's speed-up over each row's next best approach
 * @param vsTimeOnly geometric mean of space-time's speed-up over time-only
 * @param vsSpaceOnly geometric mean of space-time's speed-up over space-only
 */
public record ShapeSummary(Table1Shape shape, int rows, int minR, int maxR, double vsNextBest, double vsTimeOnly,
    double vsSpaceOnly) {

  /** The summary of {@code shapeRows}, which must all have {@code shape} and be non-empty. */
  static ShapeSummary of(Table1Shape shape, List<Table1Row> shapeRows) {
    if (shapeRows.isEmpty()) {
      throw new IllegalArgumentException("no rows for shape " + shape.key());
    }
    double logNext = 0;
    double logTime = 0;
    double logSpace = 0;
    int minR = Integer.MAX_VALUE;
    int maxR = Integer.MIN_VALUE;
    for (Table1Row row : shapeRows) {
      if (row.shape() != shape) {
        throw new IllegalArgumentException("row of " + row.shape().key() + " among " + shape.key() + "'s");
      }
      logNext += Math.log(row.speedupVsNextBest());
      logTime += Math.log(row.speedupOver(Approach.TIME_ONLY));
      logSpace += Math.log(row.speedupOver(Approach.SPACE_ONLY));
      minR = Math.min(minR, row.r());
      maxR = Math.max(maxR, row.r());
    }
    int n = shapeRows.size();
    return new ShapeSummary(shape, n, minR, maxR, Math.exp(logNext / n), Math.exp(logTime / n),
        Math.exp(logSpace / n));
  }

  /** Our geometric mean against the baseline the paper's figure uses, for a like-for-like comparison. */
  public double vsPaperBaseline() {
    return shape.paperGeomeanBaseline() == Approach.TIME_ONLY ? vsTimeOnly : vsSpaceOnly;
  }
}
