package dev.braid.bench.policies;

import dev.braid.bench.Json;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * What {@code bench policies --goodput} found: per policy, the highest offered load at which at
 * least {@link #TARGET_ATTAINMENT} of requests finished within their SLO, the probes that found it
 * and the measures at that point; with {@code --critical}, the latency-critical mix at each
 * policy's goodput load. Printed as tables and written as the {@code goodput} block of
 * {@code results.json}, with the fixed formats of {@link PoliciesReport} (deterministic bytes on a
 * simulated device).
 *
 * @param search the grid searched
 * @param probeNanos each probe's arrival window
 * @param baseRateRps the per-model rate at multiplier 1 (what the run without --goodput uses)
 * @param models instances in the mix
 * @param policies one per policy, in table order
 * @param critical the critical mix per policy; null without {@code --critical}
 */
record GoodputReport(GoodputSearch search, long probeNanos, double baseRateRps, int models,
    List<PolicyGoodput> policies, Critical critical) {

  /** The share of requests that must finish within their SLO at the goodput load. */
  static final double TARGET_ATTAINMENT = 0.99;

  GoodputReport {
    Objects.requireNonNull(search, "search");
    policies = List.copyOf(policies);
  }

  /**
   * One policy's search.
   *
   * @param policy the policy
   * @param result the search's probes and answer; each probe's outcome is that run's result
   */
  record PolicyGoodput(String policy, GoodputSearch.Result<PolicyResult> result) {
    /** Offered requests/s at the goodput multiplier (every model's rate summed); 0 if none passed. */
    double goodputRps(double baseRateRps, int models) {
      return result.multiplier() * baseRateRps * models;
    }

    /** The run at the goodput point; null when no probe passed. */
    PolicyResult atGoodput() {
      return result.best() == null ? null : result.best().outcome();
    }
  }

  /**
   * The latency-critical mix: one instance at Triton priority 1 with an SLO of {@link
   * #CRITICAL_SLO_MULTIPLE}x its isolated latency beside the rest at their SLOs, at each policy's
   * goodput load.
   *
   * @param instance the critical instance
   * @param arch its architecture
   * @param sloNanos its SLO
   * @param runs one per policy that had a goodput point, in table order
   */
  record Critical(String instance, String arch, long sloNanos, List<CriticalRun> runs) {
    Critical {
      runs = List.copyOf(runs);
    }
  }

  /** The critical model's SLO as a multiple of its isolated batch-1 latency. */
  static final double CRITICAL_SLO_MULTIPLE = 2.0;

  /**
   * One policy's critical mix.
   *
   * @param policy the policy
   * @param goodputRps the load it ran at: the policy's goodput
   * @param mixed the mix: the critical instance beside the best-effort ones
   * @param alone the critical instance alone at the same rate and SLO under the same policy
   */
  record CriticalRun(String policy, double goodputRps, PolicyResult mixed, PolicyResult alone, String instance) {
    PolicyResult.ModelResult criticalMixed() {
      return mixed.model(instance);
    }

    PolicyResult.ModelResult criticalAlone() {
      return alone.model(instance);
    }

    /** p99 in the mix over p99 alone, less one; NaN when alone had no latency. */
    double inflation() {
      long alone = criticalAlone().p99Nanos();
      return alone == 0 ? Double.NaN : (double) criticalMixed().p99Nanos() / alone - 1;
    }

    /** Best-effort requests within their SLO, per second of the run. */
    double bestEffortWithinSloRps() {
      long within = 0;
      for (PolicyResult.ModelResult m : mixed.perModel()) {
        within += m.name().equals(instance) ? 0 : m.withinSlo();
      }
      return within / mixed.spanSeconds();
    }

    /** Best-effort requests/s within SLO as a share of the policy's goodput. */
    double bestEffortKept() {
      return goodputRps == 0 ? Double.NaN : bestEffortWithinSloRps() / goodputRps;
    }
  }

  PolicyGoodput of(String policy) {
    return policies.stream().filter(p -> p.policy().equals(policy)).findFirst().orElse(null);
  }

  // ---- the tables ----

  void printTable(PrintWriter w) {
    w.printf(Locale.ROOT, "goodput: the highest offered load with >= %.0f%% of requests within SLO (probes of %.1f s,"
            + " multipliers 2^(k/%d) of %.3f requests/s per model, resolution %.1f%%)%n", 100 * TARGET_ATTAINMENT,
        probeNanos / 1e9, search.stepsPerDoubling(), baseRateRps, 100 * search.resolution());
    w.printf(Locale.ROOT, "%-11s %6s %10s %8s %8s %8s %9s %7s %7s %7s %8s %7s %7s%n", "policy", "load x", "goodput",
        "SLO att", "p50 ms", "p99 ms", "launch/rq", "SK mean", "SK p90", "fused", "host bsy", "SM util", "batch");
    for (PolicyGoodput p : policies) {
      PolicyResult r = p.atGoodput();
      if (r == null) {
        w.printf(Locale.ROOT, "%-11s %6s %10s  no load on the grid met the SLOs (lowest probed: x%.4f)%n", p.policy(),
            "-", "0", search.multiplier(search.minStep()));
        continue;
      }
      w.printf(Locale.ROOT, "%-11s %6.3f %10.1f %7.2f%% %8.3f %8.3f %9.2f %7.2f %7d %6.1f%% %7s %6.1f%% %7.2f%s%n",
          p.policy(), p.result().multiplier(), p.goodputRps(baseRateRps, models), 100 * r.sloAttainment(),
          r.p50Ms(), r.p99Ms(), r.launchesPerRequest(), r.meanSuperKernelSize(), r.p90SuperKernelSize(),
          100 * r.fusedShare(), Double.isNaN(r.hostBusyShare()) ? "n/a"
              : String.format(Locale.ROOT, "%.1f%%", 100 * r.hostBusyShare()),
          100 * r.utilization(), r.meanBatchSize(), p.result().atCeiling() ? "  (top of the grid: a lower bound)" : "");
    }
    PolicyGoodput st = of("space-time");
    if (st != null) {
      for (String other : List.of("space-only", "time-only")) {
        PolicyGoodput o = of(other);
        if (o != null) {
          w.printf(Locale.ROOT, "goodput, space-time over %s: %s%n", other,
              fmt(PoliciesReport.ratio(st.result().multiplier(), o.result().multiplier())));
        }
      }
    }
    w.println("p50 / p99 ms per model at each policy's goodput:");
    for (PolicyGoodput p : policies) {
      PolicyResult r = p.atGoodput();
      if (r == null) {
        continue;
      }
      StringJoiner models = new StringJoiner("  ");
      r.perModel().forEach(m -> models.add(String.format(Locale.ROOT, "%s %.2f/%.2f", m.name(), m.p50Nanos() / 1e6,
          m.p99Nanos() / 1e6)));
      w.printf(Locale.ROOT, "  %-11s %s%n", p.policy(), models);
    }
    if (critical != null) {
      w.printf(Locale.ROOT, "critical model %s (%s): Triton priority 1, SLO %.3f ms (%.0fx its isolated latency),"
              + " beside %d best-effort models at each policy's goodput%n", critical.instance(), critical.arch(),
          critical.sloNanos() / 1e6, CRITICAL_SLO_MULTIPLE, models - 1);
      w.printf(Locale.ROOT, "%-11s %10s %12s %12s %10s %9s %14s %9s%n", "policy", "load", "p99 mixed ms",
          "p99 alone ms", "inflation", "crit SLO", "BE in SLO/s", "BE kept");
      for (CriticalRun c : critical.runs()) {
        w.printf(Locale.ROOT, "%-11s %10.1f %12.3f %12.3f %9s %8.1f%% %14.1f %8.1f%%%n", c.policy(), c.goodputRps(),
            c.criticalMixed().p99Nanos() / 1e6, c.criticalAlone().p99Nanos() / 1e6, pct(c.inflation()),
            100 * c.criticalMixed().sloAttainment(), c.bestEffortWithinSloRps(), 100 * c.bestEffortKept());
      }
      w.printf(Locale.ROOT, "(BE kept: best-effort requests/s within SLO over the policy's goodput; the best-effort"
          + " models offer %d/%d of it)%n", models - 1, models);
    }
  }

  private static String fmt(double ratio) {
    return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2fx", ratio);
  }

  private static String pct(double share) {
    return Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%+.1f%%", 100 * share);
  }

  // ---- the JSON ----

  String toJson(String indent) {
    String in = indent + "  ";
    StringBuilder j = new StringBuilder("{\n");
    j.append(String.format(Locale.ROOT, "%s\"target_slo_attainment\": %.4f,%n", in, TARGET_ATTAINMENT));
    j.append(String.format(Locale.ROOT, "%s\"probe_duration_s\": %.3f,%n", in, probeNanos / 1e9));
    j.append(String.format(Locale.ROOT, "%s\"grid\": {\"steps_per_doubling\": %d, \"bracket_steps\": %d,"
            + " \"min_multiplier\": %.6f, \"max_multiplier\": %.6f, \"resolution\": %.4f},%n", in,
        search.stepsPerDoubling(), search.bracketSteps(), search.multiplier(search.minStep()),
        search.multiplier(search.maxStep()), search.resolution()));
    j.append(String.format(Locale.ROOT, "%s\"base_rate_rps_per_model\": %.3f,%n", in, baseRateRps));
    j.append(String.format(Locale.ROOT, "%s\"models\": %d,%n", in, models));
    StringJoiner ps = new StringJoiner(",\n", "[\n", "\n" + in + "]");
    for (PolicyGoodput p : policies) {
      ps.add(policyJson(p, in + "  "));
    }
    j.append(in).append("\"policies\": ").append(ps).append(",\n");
    PolicyGoodput st = of("space-time");
    StringJoiner ratios = new StringJoiner(", ", "{", "}");
    if (st != null) {
      for (PolicyGoodput o : policies) {
        if (o != st) {
          ratios.add("\"space_time_over_" + o.policy().replace('-', '_') + "\": "
              + num(PoliciesReport.ratio(st.result().multiplier(), o.result().multiplier())));
        }
      }
    }
    j.append(in).append("\"ratios\": ").append(ratios);
    if (critical != null) {
      j.append(",\n").append(in).append("\"critical\": ").append(criticalJson(in));
    }
    j.append("\n").append(indent).append("}");
    return j.toString();
  }

  private String policyJson(PolicyGoodput p, String in) {
    StringJoiner probes = new StringJoiner(", ", "[", "]");
    for (GoodputSearch.Probe<PolicyResult> probe : p.result().probes()) {
      probes.add(String.format(Locale.ROOT, "{\"multiplier\": %.6f, \"offered_rps\": %.3f, \"slo_attainment\": %.4f,"
              + " \"passed\": %b}", probe.multiplier(), probe.multiplier() * baseRateRps * models,
          probe.outcome().sloAttainment(), probe.passed()));
    }
    PolicyResult r = p.atGoodput();
    String at = r == null ? "null" : atJson(r, in);
    return String.format(Locale.ROOT, "%s{\"policy\": %s, \"multiplier\": %.6f, \"goodput_rps\": %.3f,"
            + " \"at_ceiling\": %b,%n%s \"at_goodput\": %s,%n%s \"probes\": %s}", in, Json.quote(p.policy()),
        p.result().multiplier(), p.goodputRps(baseRateRps, models), p.result().atCeiling(), in, at, in, probes);
  }

  private static String atJson(PolicyResult r, String in) {
    StringJoiner perModel = new StringJoiner(",\n", "[\n", "\n" + in + "  ]");
    for (PolicyResult.ModelResult m : r.perModel()) {
      perModel.add(modelJson(m, in + "    "));
    }
    StringJoiner sizes = new StringJoiner(", ", "{", "}");
    r.superKernelSizes().forEach((k, v) -> sizes.add("\"" + k + "\": " + v));
    return String.format(Locale.ROOT, "{\"throughput_rps\": %.3f, \"slo_attainment\": %.4f, \"p50_ms\": %.3f,"
            + " \"p99_ms\": %.3f, \"submitted\": %d, \"completed\": %d, \"within_slo\": %d, \"launches\": %d,"
            + " \"launches_per_request\": %.3f, \"super_kernels\": %d, \"mean_super_kernel_size\": %.3f,"
            + " \"p90_super_kernel_size\": %d, \"super_kernel_sizes\": %s, \"fused_share\": %.4f,"
            + " \"host_busy_share\": %s, \"sm_util\": %.4f, \"utilization_source\": %s, \"mean_batch_size\": %.3f,"
            + "%n%s  \"per_model\": %s}", r.throughputRps(), r.sloAttainment(), r.p50Ms(), r.p99Ms(), r.submitted(),
        r.completed(), r.withinSlo(), r.launches(), r.launchesPerRequest(), r.superKernels(), r.meanSuperKernelSize(),
        r.p90SuperKernelSize(), sizes, r.fusedShare(), num(r.hostBusyShare()), r.utilization(),
        Json.quote(r.utilizationSource()), r.meanBatchSize(), in, perModel);
  }

  private static String modelJson(PolicyResult.ModelResult m, String in) {
    return String.format(Locale.ROOT, "%s{\"name\": %s, \"arch\": %s, \"submitted\": %d, \"completed\": %d,"
            + " \"within_slo\": %d, \"slo_attainment\": %.4f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}", in,
        Json.quote(m.name()), Json.quote(m.arch()), m.submitted(), m.completed(), m.withinSlo(), m.sloAttainment(),
        m.p50Nanos() / 1e6, m.p99Nanos() / 1e6);
  }

  private String criticalJson(String in) {
    StringJoiner runs = new StringJoiner(",\n", "[\n", "\n" + in + "  ]");
    for (CriticalRun c : critical.runs()) {
      runs.add(String.format(Locale.ROOT, "%s    {\"policy\": %s, \"load_rps\": %.3f, \"critical_p99_ms\": %.3f,"
              + " \"critical_p99_alone_ms\": %.3f, \"p99_inflation\": %s, \"critical_p50_ms\": %.3f,"
              + " \"critical_p50_alone_ms\": %.3f, \"critical_slo_attainment\": %.4f,"
              + " \"critical_slo_attainment_alone\": %.4f, \"best_effort_within_slo_rps\": %.3f,"
              + " \"best_effort_kept\": %s, \"slo_attainment\": %.4f}", in, Json.quote(c.policy()), c.goodputRps(),
          c.criticalMixed().p99Nanos() / 1e6, c.criticalAlone().p99Nanos() / 1e6, num(c.inflation()),
          c.criticalMixed().p50Nanos() / 1e6, c.criticalAlone().p50Nanos() / 1e6,
          c.criticalMixed().sloAttainment(), c.criticalAlone().sloAttainment(), c.bestEffortWithinSloRps(),
          num(c.bestEffortKept()), c.mixed().sloAttainment()));
    }
    return String.format(Locale.ROOT, "{\"instance\": %s, \"arch\": %s, \"priority_level\": 1, \"slo_ms\": %.3f,"
            + " \"slo_multiple\": %.1f, \"best_effort_models\": %d,%n%s  \"runs\": %s}",
        Json.quote(critical.instance()), Json.quote(critical.arch()), critical.sloNanos() / 1e6,
        CRITICAL_SLO_MULTIPLE, models - 1, in, runs);
  }

  private static String num(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.format(Locale.ROOT, "%.4f", v);
  }
}
