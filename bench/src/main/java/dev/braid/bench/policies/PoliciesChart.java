package dev.braid.bench.policies;

import dev.braid.bench.plot.PanelChart.Panel;
import dev.braid.bench.plot.PanelChart.Series;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The panels of {@code policies.png}. With a sweep: throughput, p99 latency, SLO attainment and
 * utilisation against the number of co-located models, one line per policy. Without: the same
 * four measures for the single N, one stick (a line from 0 up to the value) per policy at
 * x = 1, 2, 3, which reads as a bar chart.
 */
final class PoliciesChart {
  private PoliciesChart() {}

  private record Measure(String title, String axis, ToDoubleFunction<PolicyResult> value) {}

  private static List<Measure> measures(boolean sm) {
    return List.of(
        new Measure("Throughput", "completed requests/s", PolicyResult::throughputRps),
        new Measure("p99 latency", "ms", PolicyResult::p99Ms),
        new Measure("SLO attainment", "fraction of submitted", PolicyResult::sloAttainment),
        new Measure(sm ? "SM utilization" : "Device busy fraction", "fraction", PolicyResult::utilization));
  }

  static List<Panel> panels(PoliciesReport report) {
    boolean sm = report.main().results().stream().allMatch(r -> r.utilizationSource().equals("sm"));
    List<Panel> panels = new ArrayList<>();
    if (report.sweep().size() > 1) {
      double[] n = report.sweep().stream().mapToDouble(PoliciesReport.Point::models).toArray();
      for (Measure m : measures(sm)) {
        List<Series> series = new ArrayList<>();
        for (PolicyResult r : report.main().results()) {
          double[] y = report.sweep().stream().mapToDouble(p -> m.value().applyAsDouble(p.of(r.policy()))).toArray();
          series.add(Series.line(r.policy(), n, y));
        }
        panels.add(Panel.linear(m.title() + " against co-located models", "co-located models (N)", m.axis(),
            series));
      }
    } else {
      List<PolicyResult> results = report.main().results();
      for (Measure m : measures(sm)) {
        List<Series> series = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
          double v = m.value().applyAsDouble(results.get(i));
          series.add(Series.line(results.get(i).policy(), new double[] {i + 1, i + 1}, new double[] {0, v}));
        }
        panels.add(Panel.linear(m.title() + ", N = " + report.main().models(), "policy (1 = "
            + results.get(0).policy() + ")", m.axis(), series));
      }
    }
    if (report.goodput() != null) {
      panels.add(goodputPanel(report.goodput()));
    }
    return panels;
  }

  /**
   * SLO attainment against offered load, one line per policy through its goodput search's probes
   * (sorted by load), and the target as a flat line.
   */
  static Panel goodputPanel(GoodputReport g) {
    List<Series> series = new ArrayList<>();
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (GoodputReport.PolicyGoodput p : g.policies()) {
      List<GoodputSearch.Probe<PolicyResult>> probes = new ArrayList<>(p.result().probes());
      probes.sort(Comparator.comparingDouble(GoodputSearch.Probe::multiplier));
      double[] x = new double[probes.size()];
      double[] y = new double[probes.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = probes.get(i).multiplier() * g.baseRateRps() * g.models();
        y[i] = probes.get(i).outcome().sloAttainment();
        lo = Math.min(lo, x[i]);
        hi = Math.max(hi, x[i]);
      }
      series.add(Series.line(p.policy(), x, y));
    }
    if (hi > 0) {
      series.add(Series.line("target " + Math.round(100 * GoodputReport.TARGET_ATTAINMENT) + "%",
          new double[] {lo, hi}, new double[] {GoodputReport.TARGET_ATTAINMENT, GoodputReport.TARGET_ATTAINMENT}));
    }
    return new Panel("SLO attainment against offered load (goodput probes)", "offered load, requests/s",
        "fraction within SLO", false, false, series);
  }
}
