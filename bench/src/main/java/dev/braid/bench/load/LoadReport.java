package dev.braid.bench.load;

import dev.braid.bench.Json;
import dev.braid.bench.plot.PanelChart;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@code bench load} prints and writes from its runs: a table (one row per run), {@code
 * load.json}, {@code load.csv} and {@code load.png}. Keys and columns come in a fixed order.
 *
 * @param target HOST:PORT of the server
 * @param model the model name
 * @param distribution the arrivals of open-loop runs ("poisson" or "constant")
 * @param percentiles the percentiles reported, as given (e.g. 50, 90, 99)
 * @param runs every run, in the order they ran
 * @param search the max-rate search, or null when none was asked for
 * @param thresholdMs the latency threshold of the search (NaN without one)
 */
record LoadReport(String target, String model, String distribution, List<Double> percentiles, List<LoadResult> runs,
    MaxRateSearch.Result search, double thresholdMs) {
  LoadReport {
    percentiles = List.copyOf(percentiles);
    runs = List.copyOf(runs);
  }

  /** A send later than this behind schedule is worth a line under the table. */
  static final double LATE_SEND_MS = 100;

  static String label(double p) {
    return p == Math.rint(p) ? "p" + (long) p : "p" + String.valueOf(p).replace('.', '_');
  }

  /** The table: one row per run. */
  String table() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%-12s %10s %8s %8s %8s %10s", "load", "sent/s", "sent", "ok", "errors",
        "ok/s"));
    for (double p : percentiles) {
      b.append(String.format(Locale.ROOT, " %9s", label(p) + " ms"));
    }
    b.append(String.format(Locale.ROOT, " %9s %8s %9s%n", "mean ms", "SLO met", "goodput/s"));
    for (LoadResult r : runs) {
      String load = r.concurrency() > 0 ? "conc " + r.concurrency() : String.format(Locale.ROOT, "rate %.4g",
          r.offeredRate());
      double offered = r.sent() / r.sendSeconds();
      b.append(String.format(Locale.ROOT, "%-12s %10.1f %8d %8d %8d %10.1f", load, offered, r.sent(), r.ok(),
          r.errors(), r.throughput()));
      for (double p : percentiles) {
        b.append(String.format(Locale.ROOT, " %9.2f", r.percentiles().get(p)));
      }
      b.append(String.format(Locale.ROOT, " %9.2f %8s %9s%n", r.meanMs(),
          Double.isNaN(r.sloAttainment()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.sloAttainment()),
          Double.isNaN(r.goodput()) ? "-" : String.format(Locale.ROOT, "%.1f", r.goodput())));
      if (r.maxSendLagMs() > LATE_SEND_MS) {
        b.append(String.format(Locale.ROOT, "             the client sent up to %.0f ms behind schedule (a busy machine);"
            + " latencies count from the intended send times%n", r.maxSendLagMs()));
      }
      if (r.errors() > 0 || r.unanswered() > 0) {
        b.append("             errors by status: ").append(statusText(r, ", ", " "))
            .append(r.unanswered() > 0 ? (r.errors() > 0 ? ", " : "") + "unanswered " + r.unanswered() : "")
            .append(r.firstError() == null ? "" : "; first: " + r.firstError()).append('\n');
      }
    }
    if (search != null) {
      b.append(String.format(Locale.ROOT, "highest rate meeting %s <= %.4g ms: %s%n", label(maxPercentile()),
          thresholdMs, search.maxRate() > 0 ? String.format(Locale.ROOT, "%.4g requests/s%s", search.maxRate(),
              search.cappedAtMax() ? " (the --max-rate cap; the server may take more)" : "")
              : "none (the first probe already missed it)"));
    }
    return b.toString();
  }

  double maxPercentile() {
    return percentiles.stream().mapToDouble(Double::doubleValue).max().orElse(99);
  }

  private static String statusText(LoadResult r, String sep, String kv) {
    return r.errorsByStatus().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + kv + e.getValue()).collect(Collectors.joining(sep));
  }

  String json() {
    StringBuilder b = new StringBuilder("{\n");
    b.append("  \"target\": ").append(Json.quote(target)).append(",\n");
    b.append("  \"model\": ").append(Json.quote(model)).append(",\n");
    b.append("  \"distribution\": ").append(Json.quote(distribution)).append(",\n");
    b.append("  \"percentiles\": [").append(percentiles.stream().map(Json::num).collect(Collectors.joining(", ")))
        .append("],\n");
    b.append("  \"runs\": [");
    for (int i = 0; i < runs.size(); i++) {
      LoadResult r = runs.get(i);
      b.append(i == 0 ? "\n" : ",\n").append("    {\"mode\": ").append(Json.quote(r.mode()))
          .append(", \"offered_rate\": ").append(Json.num(r.offeredRate()))
          .append(", \"concurrency\": ").append(r.concurrency())
          .append(", \"seconds\": ").append(Json.num(r.seconds()))
          .append(", \"send_seconds\": ").append(Json.num(r.sendSeconds()))
          .append(", \"max_send_lag_ms\": ").append(Json.num(r.maxSendLagMs()))
          .append(", \"sent\": ").append(r.sent())
          .append(", \"ok\": ").append(r.ok())
          .append(", \"errors\": ").append(r.errors())
          .append(", \"unanswered\": ").append(r.unanswered())
          .append(", \"throughput_rps\": ").append(Json.num(r.throughput()))
          .append(", \"latency_ms\": {");
      List<String> lat = new ArrayList<>();
      r.percentiles().forEach((p, v) -> lat.add(Json.quote(label(p)) + ": " + Json.num(v)));
      lat.add("\"mean\": " + Json.num(r.meanMs()));
      lat.add("\"max\": " + Json.num(r.maxMs()));
      b.append(String.join(", ", lat)).append("}")
          .append(", \"slo_ms\": ").append(Json.num(r.sloMs()))
          .append(", \"slo_attainment\": ").append(Json.num(r.sloAttainment()))
          .append(", \"goodput_rps\": ").append(Json.num(r.goodput()))
          .append(", \"threshold_attainment\": ").append(Json.num(r.thresholdAttainment()))
          .append(", \"errors_by_status\": {")
          .append(r.errorsByStatus().entrySet().stream().sorted(Map.Entry.comparingByKey())
              .map(e -> Json.quote(e.getKey()) + ": " + e.getValue()).collect(Collectors.joining(", ")))
          .append("}, \"first_error\": ").append(r.firstError() == null ? "null" : Json.quote(r.firstError()))
          .append(", \"timeline\": [")
          .append(r.timeline().stream().map(t -> "[" + (long) t[0] + ", " + (long) t[1] + ", " + Json.num(t[2]) + ", "
              + Json.num(t[3]) + "]").collect(Collectors.joining(", ")))
          .append("]}");
    }
    b.append("\n  ]");
    if (search != null) {
      b.append(",\n  \"max_rate\": {\"percentile\": ").append(Json.num(maxPercentile()))
          .append(", \"threshold_ms\": ").append(Json.num(thresholdMs))
          .append(", \"rate\": ").append(Json.num(search.maxRate()))
          .append(", \"capped_at_max\": ").append(search.cappedAtMax())
          .append(", \"probes\": [")
          .append(search.probes().stream().map(p -> "{\"rate\": " + Json.num(p.rate()) + ", \"passed\": " + p.passed()
              + "}").collect(Collectors.joining(", ")))
          .append("]}");
    }
    return b.append("\n}\n").toString();
  }

  String csv() {
    StringBuilder b = new StringBuilder("mode,offered_rate,concurrency,seconds,sent,ok,errors,unanswered,throughput_rps");
    for (double p : percentiles) {
      b.append(',').append(label(p)).append("_ms");
    }
    b.append(",mean_ms,max_ms,slo_ms,slo_attainment,goodput_rps,errors_by_status\n");
    for (LoadResult r : runs) {
      b.append(r.mode()).append(',').append(csvNum(r.offeredRate())).append(',').append(r.concurrency()).append(',')
          .append(csvNum(r.seconds())).append(',').append(r.sent()).append(',').append(r.ok()).append(',')
          .append(r.errors()).append(',').append(r.unanswered()).append(',').append(csvNum(r.throughput()));
      for (double p : percentiles) {
        b.append(',').append(csvNum(r.percentiles().get(p)));
      }
      b.append(',').append(csvNum(r.meanMs())).append(',').append(csvNum(r.maxMs())).append(',')
          .append(csvNum(r.sloMs())).append(',').append(csvNum(r.sloAttainment())).append(',')
          .append(csvNum(r.goodput())).append(',').append(statusText(r, ";", "=")).append('\n');
    }
    return b.toString();
  }

  private static String csvNum(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
  }

  /** Writes load.json (and load.csv when asked) and load.png; returns the lines to print. */
  List<String> write(Path dir, boolean csv) throws IOException {
    Files.createDirectories(dir);
    List<String> lines = new ArrayList<>();
    Path json = dir.resolve("load.json");
    Files.writeString(json, json(), StandardCharsets.UTF_8);
    lines.add("wrote " + json);
    if (csv) {
      Path c = dir.resolve("load.csv");
      Files.writeString(c, csv(), StandardCharsets.UTF_8);
      lines.add("wrote " + c);
    }
    List<PanelChart.Panel> panels = panels();
    if (panels.isEmpty()) {
      lines.add("skipped " + dir.resolve("load.png") + ": no request was answered OK, nothing to draw");
    } else {
      lines.add(PanelChart.writePngOrSkip(dir.resolve("load.png"), model + " at " + target, panels, panels.size()));
    }
    return lines;
  }

  /**
   * One run: latency p50/p99 and OK answers per second of the run. Several open-loop runs (a
   * sweep or a search): latency percentiles and throughput against the offered rate.
   */
  private List<PanelChart.Panel> panels() {
    List<PanelChart.Panel> panels = new ArrayList<>();
    if (runs.size() == 1) {
      List<double[]> t = runs.get(0).timeline().stream().filter(x -> Double.isFinite(x[2])).toList();
      if (t.isEmpty()) {
        return panels;
      }
      double[] sec = t.stream().mapToDouble(x -> x[0]).toArray();
      panels.add(PanelChart.Panel.linear("Latency per second of the run", "second (intended send time)", "ms", List.of(
          PanelChart.Series.line("p50", sec, t.stream().mapToDouble(x -> x[2]).toArray()),
          PanelChart.Series.line("p99", sec, t.stream().mapToDouble(x -> x[3]).toArray()))));
      panels.add(PanelChart.Panel.linear("Answered OK", "second (intended send time)", "requests",
          List.of(PanelChart.Series.line("ok", sec, t.stream().mapToDouble(x -> x[1]).toArray()))));
      return panels;
    }
    List<LoadResult> sorted = runs.stream().filter(r -> r.ok() > 0)
        .sorted(java.util.Comparator.comparingDouble(r -> r.concurrency() > 0 ? r.concurrency() : r.offeredRate()))
        .toList();
    if (sorted.isEmpty()) {
      return panels;
    }
    boolean closed = sorted.get(0).concurrency() > 0;
    String xTitle = closed ? "concurrency" : "offered requests/s";
    double[] x = sorted.stream().mapToDouble(r -> closed ? r.concurrency() : r.offeredRate()).toArray();
    List<PanelChart.Series> lat = new ArrayList<>();
    for (double p : percentiles) {
      lat.add(PanelChart.Series.line(label(p), x, sorted.stream().mapToDouble(r -> r.percentiles().get(p)).toArray()));
    }
    panels.add(PanelChart.Panel.linear("Latency", xTitle, "ms", lat));
    List<PanelChart.Series> rate = new ArrayList<>();
    rate.add(PanelChart.Series.line("ok/s", x, sorted.stream().mapToDouble(LoadResult::throughput).toArray()));
    if (sorted.stream().allMatch(r -> Double.isFinite(r.goodput()))) {
      rate.add(PanelChart.Series.line("goodput/s", x, sorted.stream().mapToDouble(LoadResult::goodput).toArray()));
    }
    panels.add(PanelChart.Panel.linear("Throughput", xTitle, "requests/s", rate));
    return panels;
  }
}
