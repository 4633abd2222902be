package dev.braid.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** One model's row of {@code bench cpu}: medians of alternating runs and their ratio. */
record CpuBenchResult(
    String model, int batch, int threads, int runs, double braidMedianMillis, double ortMedianMillis, double maxAbsDiff) {

  static CpuBenchResult of(String model, int batch, int threads, long[] braidNanos, long[] ortNanos, double maxAbsDiff) {
    return new CpuBenchResult(model, batch, threads, braidNanos.length, medianMillis(braidNanos),
        medianMillis(ortNanos), maxAbsDiff);
  }

  /** Braid's median latency over ONNX Runtime's. */
  double ratio() {
    return braidMedianMillis / ortMedianMillis;
  }

  static double medianMillis(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    int n = s.length;
    double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    return median / 1e6;
  }

  static String toJson(List<CpuBenchResult> results) {
    return results.stream()
        .map(r -> String.format(Locale.ROOT,
            "  {\"model\": %s, \"batch\": %d, \"threads\": %d, \"runs\": %d, \"braid_median_ms\": %.4f, "
                + "\"onnxruntime_median_ms\": %.4f, \"ratio\": %.4f, \"max_abs_diff\": %.6g}",
            Json.quote(r.model()), r.batch(), r.threads(), r.runs(), r.braidMedianMillis(), r.ortMedianMillis(), r.ratio(),
            r.maxAbsDiff()))
        .collect(Collectors.joining(",\n", "[\n", "\n]\n"));
  }
}
