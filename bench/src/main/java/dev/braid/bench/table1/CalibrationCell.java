package dev.braid.bench.table1;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * One of the nine figures the seed paper published for Table 1 (three shapes at R = 10, R = 20 and
 * the geometric mean over 2 <= R <= 120), beside the same figure computed from this run: the
 * simulator's calibration against a measured V100.
 *
 * <p>The R cells are space-time's speed-up over the next best approach of the run's own row (the
 * paper's definition); the geometric-mean cell is taken against the paper's baseline for the
 * shape ({@link ShapeSummary#vsPaperBaseline()}), over this run's rows, and exists only when the
 * run covered the paper's R values ({@link Table1Command#PAPER_R}).
 *
 * @param shape the shape
 * @param cell {@code R=10}, {@code R=20} or {@code geomean}
 * @param simulated the run's figure
 * @param paper the paper's V100 figure
 * @param versus the approach the figure is over ({@code next best: space-only} and so on)
 */
public record CalibrationCell(Table1Shape shape, String cell, double simulated, double paper, String versus) {
  /** (simulated - paper) / paper. */
  public double relativeError() {
    return (simulated - paper) / paper;
  }

  /** The cells {@code report}'s rows give, in shape order, R=10, R=20, then the geometric mean. */
  static List<CalibrationCell> of(Table1Report report) {
    List<CalibrationCell> cells = new ArrayList<>();
    for (Table1Shape shape : Table1Shape.values()) {
      List<Table1Row> rows = report.rowsOf(shape);
      for (Table1Row row : rows) {
        OptionalDouble paper = shape.paperSpeedup(row.r());
        if (paper.isPresent()) {
          cells.add(new CalibrationCell(shape, "R=" + row.r(), row.speedupVsNextBest(), paper.getAsDouble(),
              "next best: " + row.nextBest().label()));
        }
      }
      if (!rows.isEmpty() && rows.stream().map(Table1Row::r).toList().equals(Table1Command.PAPER_R)) {
        ShapeSummary s = ShapeSummary.of(shape, rows);
        cells.add(new CalibrationCell(shape, "geomean", s.vsPaperBaseline(), shape.paperGeomean(),
            shape.paperGeomeanBaseline().label()));
      }
    }
    return cells;
  }

  /** One line of the printed calibration table. */
  String line() {
    return String.format(Locale.ROOT, "%-8s %-8s %8.2fx %8.2fx %+8.1f%%   over %s", shape.key(), cell, simulated,
        paper, 100 * relativeError(), versus);
  }
}
