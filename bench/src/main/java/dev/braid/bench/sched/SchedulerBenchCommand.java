package dev.braid.bench.sched;

import dev.braid.bench.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench scheduler}: the scheduler's own cost, {@link SchedulerBenchmark} run through
 * JMH's {@link Runner}: p50 and p99 of one decision ({@code SpaceTimeScheduler.plan}) with 8, 64
 * and 256 jobs ready over 16 models, under each policy. Writes {@code scheduler-jmh.json} (the
 * summary) and {@code jmh-raw.json} (JMH's own result file) to {@code --out}.
 *
 * <p>The settings are short, so the whole run takes about two minutes: per combination of
 * policy and job count, one forked JVM ({@code -Xmx1g}), {@code --warmup} iterations of 1 s (the
 * JIT compiles the decision path within the first) and {@code --iterations} measured iterations of
 * 1 s, in JMH's sample-time mode (each sampled call timed on its own: the percentiles are per
 * decision). Not part of {@code mvn verify}: a timed run on a shared build machine would be noise.
 */
@Command(
    name = "scheduler",
    mixinStandardHelpOptions = true,
    description = "The scheduler's cost per decision (JMH, sample time): p50/p99 with 8, 64 and 256 ready jobs.")
public final class SchedulerBenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--out", required = true, description = "Directory for scheduler-jmh.json and jmh-raw.json.")
  Path out;

  @Option(names = "--jobs", split = ",", description = "Ready jobs per decision (default: 8,64,256).")
  List<Integer> jobs = List.of(8, 64, 256);

  @Option(names = "--policies", split = ",", description = "Policies (default: space-time,space-only,time-only).")
  List<String> policies = List.of("space-time", "space-only", "time-only");

  @Option(names = "--warmup", description = "Warm-up iterations of 1 s per fork (default: ${DEFAULT-VALUE}).")
  int warmup = 3;

  @Option(names = "--iterations", description = "Measured iterations of 1 s per fork (default: ${DEFAULT-VALUE}).")
  int iterations = 5;

  @Option(names = "--forks", description = "Forked JVMs per combination (default: ${DEFAULT-VALUE}).")
  int forks = 1;

  @Override
  public Integer call() throws Exception {
    for (int j : jobs) {
      if (j < 1) {
        throw new IllegalArgumentException("--jobs: expected integers >= 1, got " + j);
      }
    }
    for (String p : policies) {
      if (!SchedulerBenchmarkRows.POLICIES.contains(p)) {
        throw new IllegalArgumentException("--policies: expected some of "
            + String.join(", ", SchedulerBenchmarkRows.POLICIES) + ", got '" + p + "'");
      }
    }
    if (warmup < 0 || iterations < 1 || forks < 1) {
      throw new IllegalArgumentException("--warmup >= 0, --iterations >= 1 and --forks >= 1 expected, got "
          + warmup + ", " + iterations + " and " + forks);
    }
    Files.createDirectories(out);
    Path raw = out.resolve("jmh-raw.json");
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include(SchedulerBenchmark.class.getName() + ".plan")
        .param("jobs", jobs.stream().map(String::valueOf).toArray(String[]::new))
        .param("policy", policies.toArray(String[]::new))
        .warmupIterations(warmup)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(iterations)
        .measurementTime(TimeValue.seconds(1))
        .forks(forks)
        .jvmArgs("-Xmx1g")
        .shouldFailOnError(true)
        .result(raw.toString())
        .resultFormat(ResultFormatType.JSON);
    Collection<RunResult> results = new Runner(options.build()).run();
    List<SchedulerBenchmarkRows.Row> rows = new ArrayList<>();
    for (RunResult r : results) {
      Result<?> primary = r.getPrimaryResult();
      Statistics st = primary.getStatistics();
      rows.add(new SchedulerBenchmarkRows.Row(r.getParams().getParam("policy"),
          Integer.parseInt(r.getParams().getParam("jobs")), st.getPercentile(50), st.getPercentile(99),
          st.getPercentile(99.9), st.getMean(), st.getN()));
    }
    rows.sort(SchedulerBenchmarkRows.ORDER);
    var w = spec.commandLine().getOut();
    w.println();
    w.printf(Locale.ROOT, "one scheduling decision (SpaceTimeScheduler.plan), %d models, JMH sample time, %d fork(s) x"
        + " %d x 1 s after %d x 1 s warm-up%n", SchedulerBenchmark.MODELS, forks, iterations, warmup);
    w.printf(Locale.ROOT, "%-11s %6s %10s %10s %10s %10s %10s%n", "policy", "jobs", "p50 us", "p99 us", "p99.9 us",
        "mean us", "samples");
    for (SchedulerBenchmarkRows.Row row : rows) {
      w.printf(Locale.ROOT, "%-11s %6d %10.3f %10.3f %10.3f %10.3f %10d%n", row.policy(), row.jobs(),
          row.p50Nanos() / 1e3, row.p99Nanos() / 1e3, row.p999Nanos() / 1e3, row.meanNanos() / 1e3, row.samples());
    }
    Path json = out.resolve("scheduler-jmh.json");
    Files.writeString(json, json(rows), StandardCharsets.UTF_8);
    w.println("wrote " + json);
    w.println("wrote " + raw);
    return 0;
  }

  private String json(List<SchedulerBenchmarkRows.Row> rows) {
    StringJoiner rs = new StringJoiner(",\n", "[\n", "\n  ]");
    for (SchedulerBenchmarkRows.Row r : rows) {
      rs.add(String.format(Locale.ROOT, "    {\"policy\": %s, \"jobs\": %d, \"p50_ns\": %.1f, \"p99_ns\": %.1f,"
              + " \"p999_ns\": %.1f, \"mean_ns\": %.1f, \"samples\": %d}", Json.quote(r.policy()), r.jobs(),
          r.p50Nanos(), r.p99Nanos(), r.p999Nanos(), r.meanNanos(), r.samples()));
    }
    return String.format(Locale.ROOT, "{%n  \"benchmark\": %s,%n  \"what\": %s,%n  \"models\": %d,%n  \"mode\":"
            + " \"SampleTime\",%n  \"forks\": %d,%n  \"warmup_iterations\": %d,%n  \"measurement_iterations\": %d,%n"
            + "  \"iteration_s\": 1,%n  \"java\": %s,%n  \"rows\": %s%n}%n",
        Json.quote(SchedulerBenchmark.class.getName()),
        Json.quote("one SpaceTimeScheduler.plan(now) with all jobs ready, zoo plans (resnet18, mobilenetv2, bert, mlp"
            + " x4 instances), H100 roofline cost model"), SchedulerBenchmark.MODELS, forks, warmup, iterations,
        Json.quote(System.getProperty("java.vm.name") + " " + System.getProperty("java.version")), rs);
  }
}
