package dev.braid.bench.policies;

import dev.braid.bench.Json;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * The outcome of one {@code bench policies} run, printed as a table and written as
 * {@code results.json}.
 *
 * <p>The JSON starts with {@code device}, {@code models}, {@code seed} and {@code policies} (the
 * run at {@code --models}), then describes the run; numbers have fixed decimal places (three for
 * rates and milliseconds, four for fractions and ratios) and keys a fixed order, so two runs on a
 * simulated device, whose virtual times are deterministic, write the same bytes. Nothing measured
 * on the host's clock goes in it.
 *
 * @param device the device as given on the command line
 * @param deviceName the device's own name
 * @param clock {@code virtual} or {@code wall}
 * @param seed the workload's seed
 * @param durationNanos the arrival window of every run
 * @param mix the architectures instances cycle through
 * @param rate the {@code --rate} given, or {@code auto}
 * @param slo the {@code --slo} given
 * @param isolated per architecture, one batch-1 request alone on the device
 * @param main the run at {@code --models}
 * @param sweep every run of {@code --sweep} in ascending N (including {@code main}); empty without
 * @param goodput what {@code --goodput} (or {@code --critical}) found; null without, and then the
 *     JSON has no {@code goodput} block
 */
record PoliciesReport(String device, String deviceName, String clock, long seed, long durationNanos, List<String> mix,
    String rate, String slo, Map<String, PolicyRunner.Isolated> isolated, Point main, List<Point> sweep,
    GoodputReport goodput) {

  /**
   * The three policies over one workload of {@code models} co-located instances.
   *
   * @param workload the instances and requests every policy was given
   * @param results one per policy, in the order run
   */
  record Point(int models, Workload workload, List<PolicyResult> results) {
    Point {
      results = List.copyOf(results);
    }

    PolicyResult of(String policy) {
      return results.stream().filter(r -> r.policy().equals(policy)).findFirst().orElse(null);
    }
  }

  PoliciesReport {
    Objects.requireNonNull(main, "main");
    mix = List.copyOf(mix);
    isolated = Map.copyOf(isolated);
    sweep = List.copyOf(sweep);
  }

  /** {@code a / b}, or NaN when {@code b} is 0. */
  static double ratio(double a, double b) {
    return b == 0 ? Double.NaN : a / b;
  }

  // ---- the table ----

  void printTable(PrintWriter w, Point p) {
    boolean sm = p.results().stream().allMatch(r -> r.utilizationSource().equals("sm"));
    w.printf(Locale.ROOT, "%-11s %10s %9s %8s %9s %9s %8s %9s %13s  %s%n", "policy", "req/s", "TFLOP/s",
        sm ? "SM util" : "busy", "p50 ms", "p99 ms", "SLO att", "completed", "super-kernels", "failed by reason");
    for (PolicyResult r : p.results()) {
      StringJoiner failures = new StringJoiner(", ");
      r.failures().forEach((k, v) -> failures.add(k + "=" + v));
      w.printf(Locale.ROOT, "%-11s %10.1f %9.3f %7.1f%% %9.3f %9.3f %7.1f%% %9d %13s  %s%n", r.policy(),
          r.throughputRps(), r.tflops(), 100 * r.utilization(), r.p50Ms(), r.p99Ms(), 100 * r.sloAttainment(),
          r.completed(), r.superKernels() == 0 ? "0" : String.format(Locale.ROOT, "%d (%.1f ops)", r.superKernels(),
              r.meanSuperKernelSize()), failures.length() == 0 ? "none" : failures.toString());
    }
    PolicyResult st = p.of("space-time");
    if (st == null) {
      return;
    }
    for (String other : List.of("time-only", "space-only")) {
      PolicyResult o = p.of(other);
      if (o != null) {
        w.printf(Locale.ROOT, "space-time over %-11s throughput %sx, p99 %sx (below 1 is better), SLO attainment"
                + " %sx%n", other + ":", fmt(ratio(st.throughputRps(), o.throughputRps())),
            fmt(ratio(st.p99Nanos(), o.p99Nanos())), fmt(ratio(st.sloAttainment(), o.sloAttainment())));
      }
    }
  }

  private static String fmt(double ratio) {
    return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2f", ratio);
  }

  // ---- the JSON ----

  String toJson() {
    StringBuilder j = new StringBuilder("{\n");
    j.append("  \"device\": ").append(Json.quote(device)).append(",\n");
    j.append("  \"models\": ").append(main.models()).append(",\n");
    j.append("  \"seed\": ").append(seed).append(",\n");
    j.append("  \"policies\": ").append(policiesJson(main, "  ")).append(",\n");
    j.append("  \"ratios\": ").append(ratiosJson(main)).append(",\n");
    j.append("  \"device_name\": ").append(Json.quote(deviceName)).append(",\n");
    j.append("  \"clock\": ").append(Json.quote(clock)).append(",\n");
    j.append(String.format(Locale.ROOT, "  \"duration_s\": %.3f,%n", durationNanos / 1e9));
    StringJoiner mixJson = new StringJoiner(", ", "[", "]");
    mix.forEach(m -> mixJson.add(Json.quote(m)));
    j.append("  \"mix\": ").append(mixJson).append(",\n");
    j.append("  \"rate\": ").append(Json.quote(rate)).append(",\n");
    j.append("  \"slo\": ").append(Json.quote(slo)).append(",\n");
    j.append("  \"isolated\": [");
    StringJoiner iso = new StringJoiner(",", "\n", "\n  ");
    for (String arch : mix.stream().distinct().toList()) {
      PolicyRunner.Isolated i = isolated.get(arch);
      iso.add(String.format(Locale.ROOT, "    {\"arch\": %s, \"latency_ms\": %.3f, \"service_ms\": %.3f}",
          Json.quote(arch), i.latencyNanos() / 1e6, i.serviceNanos() / 1e6));
    }
    j.append(iso).append("],\n");
    j.append("  \"instances\": ").append(instancesJson(main.workload())).append(",\n");
    j.append("  \"sweep\": [");
    StringJoiner points = new StringJoiner(",", "\n", "\n  ");
    for (Point p : sweep) {
      points.add(String.format(Locale.ROOT, "    {\"models\": %d, \"rate_rps_per_model\": %.3f, \"requests\": %d,"
              + " \"policies\": %s, \"ratios\": %s}", p.models(), p.workload().instances().get(0).rateRps(),
          p.workload().requestCount(), policiesJson(p, "    "), ratiosJson(p)));
    }
    j.append(sweep.isEmpty() ? "" : points.toString()).append("]");
    if (goodput != null) {
      j.append(",\n  \"goodput\": ").append(goodput.toJson("  "));
    }
    j.append("\n}\n");
    return j.toString();
  }

  private static String policiesJson(Point p, String indent) {
    StringJoiner out = new StringJoiner(",\n", "[\n", "\n" + indent + "]");
    for (PolicyResult r : p.results()) {
      StringJoiner failures = new StringJoiner(", ", "{", "}");
      r.failures().forEach((k, v) -> failures.add(Json.quote(k) + ": " + v));
      out.add(String.format(Locale.ROOT, "%s  {\"policy\": %s, \"throughput_rps\": %.3f, \"tflops\": %.4f,"
              + " \"sm_util\": %.4f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"slo_attainment\": %.4f,"
              + " \"utilization_source\": %s, \"submitted\": %d, \"completed\": %d, \"failed\": %d, \"failures\": %s,"
              + " \"within_slo\": %d, \"span_s\": %.6f, \"batches\": %d, \"mean_batch_size\": %.3f, \"launches\": %d,"
              + " \"super_kernels\": %d, \"mean_super_kernel_size\": %.3f}",
          indent, Json.quote(r.policy()), r.throughputRps(), r.tflops(), r.utilization(), r.p50Ms(), r.p99Ms(),
          r.sloAttainment(), Json.quote(r.utilizationSource()), r.submitted(), r.completed(), r.failed(), failures,
          r.withinSlo(), r.spanSeconds(), r.batches(), r.meanBatchSize(), r.launches(), r.superKernels(),
          r.meanSuperKernelSize()));
    }
    return out.toString();
  }

  /** Space-time over each other policy: throughput, p99 and SLO attainment ratios (null: 0/0). */
  private static String ratiosJson(Point p) {
    PolicyResult st = p.of("space-time");
    StringJoiner out = new StringJoiner(", ", "{", "}");
    if (st == null) {
      return out.toString();
    }
    for (PolicyResult o : p.results()) {
      if (o == st) {
        continue;
      }
      out.add(String.format(Locale.ROOT, "\"space_time_over_%s\": {\"throughput\": %s, \"p99\": %s,"
              + " \"slo_attainment\": %s}", o.policy().replace('-', '_'), num(ratio(st.throughputRps(),
              o.throughputRps())), num(ratio(st.p99Nanos(), o.p99Nanos())),
          num(ratio(st.sloAttainment(), o.sloAttainment()))));
    }
    return out.toString();
  }

  private static String instancesJson(Workload w) {
    int[] counts = w.requestsPerInstance();
    StringJoiner out = new StringJoiner(",\n", "[\n", "\n  ]");
    for (int i = 0; i < w.instances().size(); i++) {
      Workload.Instance inst = w.instances().get(i);
      out.add(String.format(Locale.ROOT, "    {\"name\": %s, \"arch\": %s, \"rate_rps\": %.3f, \"slo_ms\": %.3f,"
              + " \"gflop_per_request\": %.4f, \"requests\": %d}", Json.quote(inst.name()), Json.quote(inst.arch()),
          inst.rateRps(), inst.sloNanos() / 1e6, inst.flopsPerRequest() / 1e9, counts[i]));
    }
    return out.toString();
  }

  private static String num(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? "null" : String.format(Locale.ROOT, "%.4f", v);
  }
}
