package dev.braid.bench.faults;

import dev.braid.bench.Json;
import dev.braid.bench.plot.PanelChart;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a scenario's results: {@code faults.json} (per run: requests by outcome, the shared and
 * the scenario's figures, each promise's verdict, each timed target's measured value and met or
 * missed, the faults' times; over the runs: how many kept each promise, how many met each target) and one PNG per run of correct answers per 100 ms, failed ones beside them, the
 * faults marked by vertical lines.
 */
public final class FaultsReport {
  /** Width of the plot's bins. */
  static final double BIN_MS = 100;

  private FaultsReport() {}

  /** Writes {@code dir/faults.json} and {@code dir/run<N>.png}; returns the lines to print. */
  public static List<String> write(Path dir, Scenario scenario, List<ScenarioRun> runs) throws IOException {
    Files.createDirectories(dir);
    List<String> lines = new ArrayList<>();
    for (ScenarioRun r : runs) {
      lines.add(plot(dir.resolve("run" + r.index() + ".png"), r));
    }
    Path json = dir.resolve("faults.json");
    Files.writeString(json, json(scenario, runs), StandardCharsets.UTF_8);
    lines.add("wrote " + json);
    return lines;
  }

  static String json(Scenario scenario, List<ScenarioRun> runs) {
    StringBuilder b = new StringBuilder("{\n");
    b.append("  \"scenario\": ").append(Json.quote(scenario.name())).append(",\n");
    b.append("  \"fault\": ").append(Json.quote(scenario.fault())).append(",\n");
    b.append("  \"runs\": ").append(runs.size()).append(",\n");
    b.append("  \"passed\": ").append(runs.stream().allMatch(ScenarioRun::passed)).append(",\n");
    Map<String, int[]> kept = new LinkedHashMap<>();
    for (ScenarioRun r : runs) {
      for (ScenarioRun.Check c : r.checks()) {
        int[] k = kept.computeIfAbsent(c.promise(), p -> new int[2]);
        k[0] += c.passed() ? 1 : 0;
        k[1]++;
      }
    }
    b.append("  \"promises\": [");
    String sep = "\n";
    for (Map.Entry<String, int[]> k : kept.entrySet()) {
      b.append(sep).append("    {\"promise\": ").append(Json.quote(k.getKey())).append(", \"kept_in_runs\": ")
          .append(k.getValue()[0]).append(", \"of_runs\": ").append(k.getValue()[1]).append('}');
      sep = ",\n";
    }
    Map<String, int[]> met = new LinkedHashMap<>();
    for (ScenarioRun r : runs) {
      for (ScenarioRun.Target t : r.targets()) {
        int[] k = met.computeIfAbsent(t.target(), p -> new int[2]);
        k[0] += t.met() ? 1 : 0;
        k[1]++;
      }
    }
    b.append("\n  ],\n  \"targets\": [");
    sep = "\n";
    for (Map.Entry<String, int[]> k : met.entrySet()) {
      b.append(sep).append("    {\"target\": ").append(Json.quote(k.getKey())).append(", \"met_in_runs\": ")
          .append(k.getValue()[0]).append(", \"of_runs\": ").append(k.getValue()[1]).append('}');
      sep = ",\n";
    }
    b.append("\n  ],\n  \"run\": [");
    sep = "\n";
    for (ScenarioRun r : runs) {
      b.append(sep).append("    {\n      \"index\": ").append(r.index()).append(",\n");
      b.append("      \"passed\": ").append(r.passed()).append(",\n");
      b.append("      \"error\": ").append(r.error() == null ? "null" : Json.quote(r.error())).append(",\n");
      b.append("      \"outcomes\": {");
      String s2 = "";
      for (Map.Entry<String, Long> o : r.ledger().countsByStatus().entrySet()) {
        b.append(s2).append(Json.quote(o.getKey())).append(": ").append(o.getValue());
        s2 = ", ";
      }
      b.append("},\n      \"error_messages\": {");
      s2 = "";
      for (Map.Entry<String, Map<String, Long>> st : r.ledger().messagesByStatus().entrySet()) {
        b.append(s2).append(Json.quote(st.getKey())).append(": {");
        String s3 = "";
        for (Map.Entry<String, Long> m : st.getValue().entrySet()) {
          b.append(s3).append(Json.quote(m.getKey())).append(": ").append(m.getValue());
          s3 = ", ";
        }
        b.append('}');
        s2 = ", ";
      }
      b.append("},\n      \"figures\": {");
      s2 = "";
      for (Map.Entry<String, Double> f : r.orderedFigures()) {
        b.append(s2).append(Json.quote(f.getKey())).append(": ").append(Json.num(f.getValue()));
        s2 = ", ";
      }
      b.append("},\n      \"faults\": [");
      s2 = "";
      for (Ledger.Mark m : r.ledger().marks()) {
        b.append(s2).append("{\"label\": ").append(Json.quote(m.label())).append(", \"t_ms\": ")
            .append(Json.num(m.tMs())).append('}');
        s2 = ", ";
      }
      b.append("],\n      \"checks\": [");
      s2 = "\n";
      for (ScenarioRun.Check c : r.checks()) {
        b.append(s2).append("        {\"promise\": ").append(Json.quote(c.promise())).append(", \"passed\": ")
            .append(c.passed()).append(", \"detail\": ").append(Json.quote(c.detail())).append('}');
        s2 = ",\n";
      }
      b.append("\n      ],\n      \"targets\": [");
      s2 = "\n";
      for (ScenarioRun.Target t : r.targets()) {
        b.append(s2).append("        {\"target\": ").append(Json.quote(t.target())).append(", \"measured\": ")
            .append(Json.num(t.measured())).append(", \"met\": ").append(t.met()).append(", \"detail\": ")
            .append(Json.quote(t.detail())).append('}');
        s2 = ",\n";
      }
      b.append("\n      ],\n      \"plot\": ").append(Json.quote("run" + r.index() + ".png")).append("\n    }");
      sep = ",\n";
    }
    return b.append("\n  ]\n}\n").toString();
  }

  /** Correct and failed answers per {@link #BIN_MS} over the run, by answer time. */
  static double[][] perBin(Ledger ledger) {
    List<Ledger.Entry> all = ledger.entries();
    double end = all.stream().mapToDouble(Ledger.Entry::answeredMs).filter(Double::isFinite).max().orElse(0);
    int bins = (int) Math.ceil(end / BIN_MS) + 1;
    double[] x = new double[bins];
    double[] ok = new double[bins];
    double[] bad = new double[bins];
    for (int i = 0; i < bins; i++) {
      x[i] = i * BIN_MS / 1000;
    }
    for (Ledger.Entry e : all) {
      if (!Double.isFinite(e.answeredMs()) || e.clientGaveUp()) {
        continue;
      }
      int i = (int) (e.answeredMs() / BIN_MS);
      if (e.outcome() == Ledger.Outcome.CORRECT) {
        ok[i]++;
      } else {
        bad[i]++;
      }
    }
    return new double[][] {x, ok, bad};
  }

  static String plot(Path png, ScenarioRun r) throws IOException {
    double[][] bins = perBin(r.ledger());
    double top = 1;
    for (double v : bins[1]) {
      top = Math.max(top, v);
    }
    List<PanelChart.Series> series = new ArrayList<>();
    series.add(PanelChart.Series.line("correct per 100 ms", bins[0], bins[1]).withColor(new Color(0x2a7f3f)));
    series.add(PanelChart.Series.line("failed per 100 ms", bins[0], bins[2]).withColor(new Color(0xc0392b)));
    for (Ledger.Mark m : r.ledger().marks()) {
      double t = m.tMs() / 1000;
      series.add(PanelChart.Series.line(m.label(), new double[] {t, t}, new double[] {0, top}));
    }
    String title = r.scenario() + ", run " + r.index() + (r.passed() ? ": every promise kept" : ": PROMISE BROKEN");
    return PanelChart.writePngOrSkip(png, title,
        List.of(PanelChart.Panel.linear("answers over time", "seconds since the load started", "answers per 100 ms",
            series)), 1);
  }
}
