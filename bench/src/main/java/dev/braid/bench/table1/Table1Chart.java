package dev.braid.bench.table1;

import dev.braid.bench.plot.PanelChart.Panel;
import dev.braid.bench.plot.PanelChart.Series;
import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The panels of {@code table1.png}: per shape, GFLOP/s against R for each approach; then the
 * speed-up of space-time over the next best against R per shape, with the paper's V100 points
 * (R = 10 and 20) as markers.
 */
final class Table1Chart {
  private Table1Chart() {}

  /** One colour per shape in the speed-up panel, so each paper marker sits in its curve's colour. */
  private static final Color[] SHAPE_COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

  static List<Panel> panels(Table1Report report) {
    List<Panel> panels = new ArrayList<>();
    List<Series> speedups = new ArrayList<>();
    for (Table1Shape shape : Table1Shape.values()) {
      List<Table1Row> rows = report.rowsOf(shape);
      if (rows.isEmpty()) {
        continue;
      }
      double[] r = rows.stream().mapToDouble(Table1Row::r).toArray();
      List<Series> series = new ArrayList<>();
      for (Approach a : Approach.values()) {
        series.add(Series.line(a.label(), r, rows.stream().mapToDouble(row -> row.gflops(a)).toArray()));
      }
      panels.add(Panel.linear(shape.title(), "R (problems, one per model)", "GFLOP/s", series));

      Color color = SHAPE_COLORS[shape.ordinal()];
      speedups.add(Series.line(shape.key(), r, rows.stream().mapToDouble(Table1Row::speedupVsNextBest).toArray())
          .withColor(color));
      List<double[]> paper = new ArrayList<>();
      for (int pr : new int[] {10, 20}) {
        OptionalDouble p = shape.paperSpeedup(pr);
        if (p.isPresent()) {
          paper.add(new double[] {pr, p.getAsDouble()});
        }
      }
      speedups.add(Series.points(shape.key() + ", paper V100", paper.stream().mapToDouble(p -> p[0]).toArray(),
          paper.stream().mapToDouble(p -> p[1]).toArray()).withColor(color));
    }
    panels.add(Panel.linear("Space-time over the next best", "R (problems, one per model)", "speed-up (x)",
        speedups));
    return panels;
  }
}
