package dev.braid.bench.table1;

import dev.braid.bench.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.StringJoiner;

/**
 * The outcome of one {@code bench table1} run: where it ran, how it was timed, every row and each
 * shape's geometric means, written as {@code table1.json}.
 *
 * <p>{@code calibration} lists the paper's published cells this run covers ({@link CalibrationCell}):
 * the simulated figure, the paper's, and the relative error.
 *
 * <p>The JSON has a fixed key order and fixed decimal places (three for GFLOP/s, four for
 * ratios), so two runs on a simulated device, whose virtual times are deterministic, write the
 * same bytes.
 *
 * @param device the device as given on the command line ({@code sim-v100}, {@code cpu})
 * @param deviceName the device's own name ({@code sim Tesla V100-SXM2-16GB})
 * @param clock {@code virtual} or {@code wall}
 * @param warmupRuns untimed runs of each approach before the timed ones
 * @param timedRuns timed runs of each approach, of which each row keeps the median
 * @param rows in the order measured: by shape, then by R
 */
public record Table1Report(String device, String deviceName, String clock, int warmupRuns, int timedRuns,
    List<Table1Row> rows) {
  public Table1Report {
    rows = List.copyOf(rows);
  }

  /** One summary per shape that has rows, in {@link Table1Shape} order. */
  public List<ShapeSummary> summaries() {
    List<ShapeSummary> out = new ArrayList<>();
    for (Table1Shape shape : Table1Shape.values()) {
      List<Table1Row> of = rowsOf(shape);
      if (!of.isEmpty()) {
        out.add(ShapeSummary.of(shape, of));
      }
    }
    return out;
  }

  /** The paper's published cells this run covers, beside its own figures. */
  public List<CalibrationCell> calibration() {
    return CalibrationCell.of(this);
  }

  public List<Table1Row> rowsOf(Table1Shape shape) {
    return rows.stream().filter(r -> r.shape() == shape).toList();
  }

  public String toJson() {
    StringBuilder json = new StringBuilder();
    json.append("{\n");
    json.append("  \"device\": ").append(Json.quote(device)).append(",\n");
    json.append("  \"device_name\": ").append(Json.quote(deviceName)).append(",\n");
    json.append("  \"clock\": ").append(Json.quote(clock)).append(",\n");
    json.append("  \"warmup_runs\": ").append(warmupRuns).append(",\n");
    json.append("  \"timed_runs\": ").append(timedRuns).append(",\n");
    json.append("  \"rows\": [\n");
    StringJoiner rowsJson = new StringJoiner(",\n", "", "\n");
    for (Table1Row r : rows) {
      OptionalDouble paper = r.shape().paperSpeedup(r.r());
      rowsJson.add(String.format(Locale.ROOT, "    {\"shape\": %s, \"R\": %d, \"m\": %d, \"n\": %d, \"k\": %d, "
              + "\"flops\": %d, \"time_only_ns\": %d, \"space_only_ns\": %d, \"space_time_ns\": %d, "
              + "\"time_only_gflops\": %.3f, \"space_only_gflops\": %.3f, \"space_time_gflops\": %.3f, "
              + "\"next_best\": %s, \"speedup_vs_next_best\": %.4f, \"speedup_vs_time_only\": %.4f, "
              + "\"speedup_vs_space_only\": %.4f, \"paper_v100_speedup_vs_next_best\": %s}",
          Json.quote(r.shape().key()), r.r(), r.shape().m(), r.shape().n(), r.shape().k(), r.flops(),
          r.medianNanos().get(Approach.TIME_ONLY), r.medianNanos().get(Approach.SPACE_ONLY),
          r.medianNanos().get(Approach.SPACE_TIME), r.gflops(Approach.TIME_ONLY), r.gflops(Approach.SPACE_ONLY),
          r.gflops(Approach.SPACE_TIME), Json.quote(r.nextBest().label()), r.speedupVsNextBest(),
          r.speedupOver(Approach.TIME_ONLY), r.speedupOver(Approach.SPACE_ONLY),
          paper.isPresent() ? String.format(Locale.ROOT, "%.2f", paper.getAsDouble()) : "null"));
    }
    json.append(rowsJson).append("  ],\n");
    json.append("  \"geomeans\": [\n");
    StringJoiner sums = new StringJoiner(",\n", "", "\n");
    for (ShapeSummary s : summaries()) {
      sums.add(String.format(Locale.ROOT, "    {\"shape\": %s, \"title\": %s, \"rows\": %d, \"min_R\": %d, "
              + "\"max_R\": %d, \"geomean_speedup_vs_next_best\": %.4f, \"geomean_speedup_vs_time_only\": %.4f, "
              + "\"geomean_speedup_vs_space_only\": %.4f, \"paper_v100_geomean\": %.2f, "
              + "\"paper_v100_geomean_vs\": %s, \"geomean_vs_paper_baseline\": %.4f}",
          Json.quote(s.shape().key()), Json.quote(s.shape().title()), s.rows(), s.minR(), s.maxR(), s.vsNextBest(),
          s.vsTimeOnly(), s.vsSpaceOnly(), s.shape().paperGeomean(), Json.quote(s.shape().paperGeomeanBaseline().label()),
          s.vsPaperBaseline()));
    }
    json.append(sums).append("  ],\n");
    json.append("  \"calibration\": [\n");
    StringJoiner cells = new StringJoiner(",\n", "", "\n");
    for (CalibrationCell c : calibration()) {
      cells.add(String.format(Locale.ROOT, "    {\"shape\": %s, \"cell\": %s, \"simulated\": %.4f, "
              + "\"paper_v100\": %.2f, \"versus\": %s, \"relative_error\": %.4f}",
          Json.quote(c.shape().key()), Json.quote(c.cell()), c.simulated(), c.paper(), Json.quote(c.versus()),
          c.relativeError()));
    }
    json.append(cells).append("  ]\n");
    json.append("}\n");
    return json.toString();
  }
}
