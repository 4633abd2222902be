package dev.braid.bench.policies;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * {@code bench policies --goodput} and {@code --critical}: per policy, a {@link GoodputSearch} whose
 * probes run the base instances at a multiple of their rates; then, with a critical instance, the
 * latency-critical mix at each policy's goodput load beside that instance alone.
 *
 * <p>Every probe is a fresh workload of {@code probeNanos} drawn from the same seed (so probes
 * differ only in load, see {@link Workload#generate}) run on a fresh engine and device by the
 * injected {@link PolicyProbe}; on a simulated device the whole search is therefore a function of
 * its inputs.
 */
final class GoodputBench {
  /**
   * Runs {@code instances} under {@code policy} through {@code runner} for one probe's window; with
   * {@code only} not null, draws the arrivals of all {@code instances} but runs only those of the
   * instance so named, alone (the same requests it gets in the mix, so that its latency alone and
   * mixed differ by the other models only).
   */
  @FunctionalInterface
  interface PolicyProbe {
    PolicyResult run(PolicyRunner runner, String policy, List<Workload.Instance> instances, String only)
        throws Exception;
  }

  private final GoodputSearch search;
  private final long probeNanos;
  private final List<Workload.Instance> base;
  private final PolicyProbe probe;
  private final PolicyRunner runner;
  private final PolicyRunner priorityRunner;
  private final PrintWriter out;
  private final PrintWriter progress;

  /**
   * @param base the instances at multiplier 1, all at one rate
   * @param runner runs the goodput probes
   * @param priorityRunner runs the critical mix: its models have priority levels, so a request's
   *     level reaches the scheduler's jobs
   * @param out where each probe's line goes (stdout: no wall-clock figures)
   * @param progress where wall-clock progress goes (stderr)
   */
  GoodputBench(GoodputSearch search, long probeNanos, List<Workload.Instance> base, PolicyProbe probe,
      PolicyRunner runner, PolicyRunner priorityRunner, PrintWriter out, PrintWriter progress) {
    this.search = Objects.requireNonNull(search, "search");
    this.probeNanos = probeNanos;
    this.base = List.copyOf(base);
    this.probe = Objects.requireNonNull(probe, "probe");
    this.runner = runner;
    this.priorityRunner = priorityRunner;
    this.out = out;
    this.progress = progress;
  }

  /** Offered requests/s of the base instances at multiplier 1. */
  double baseOfferedRps() {
    return base.stream().mapToDouble(Workload.Instance::rateRps).sum();
  }

  /**
   * Searches each of {@code policies}, then, if {@code criticalInstance} is not null, runs the
   * critical mix at each policy's goodput.
   */
  GoodputReport run(List<String> policies, String criticalInstance, Map<String, PolicyRunner.Isolated> isolated) {
    out.println();
    out.printf(Locale.ROOT, "goodput search: %d models, probes of %.1f s, %.3f requests/s offered at x1%n",
        base.size(), probeNanos / 1e9, baseOfferedRps());
    List<GoodputReport.PolicyGoodput> found = new ArrayList<>();
    for (String policy : policies) {
      long wall0 = System.nanoTime();
      GoodputSearch.Result<PolicyResult> result = search.run(m -> {
        PolicyResult r = unchecked(() -> probe.run(runner, policy, Workload.scaled(base, m), null));
        out.printf(Locale.ROOT, "  %-11s x%-7.4f %10.1f requests/s offered: %6.2f%% within SLO%n", policy, m,
            m * baseOfferedRps(), 100 * r.sloAttainment());
        out.flush();
        return r;
      }, r -> r.sloAttainment() >= GoodputReport.TARGET_ATTAINMENT);
      progress.printf(Locale.ROOT, "bench policies: goodput of %s searched in %d probes (%.1f s wall)%n", policy,
          result.probes().size(), (System.nanoTime() - wall0) / 1e9);
      progress.flush();
      found.add(new GoodputReport.PolicyGoodput(policy, result));
    }
    double baseRate = base.get(0).rateRps();
    GoodputReport.Critical critical = null;
    if (criticalInstance != null) {
      critical = critical(criticalInstance, found, isolated);
    }
    return new GoodputReport(search, probeNanos, baseRate, base.size(), found, critical);
  }

  private GoodputReport.Critical critical(String name, List<GoodputReport.PolicyGoodput> found,
      Map<String, PolicyRunner.Isolated> isolated) {
    Workload.Instance c = base.stream().filter(i -> i.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("--critical: no instance named '" + name + "'"));
    long sloNanos = Math.round(GoodputReport.CRITICAL_SLO_MULTIPLE * isolated.get(c.arch()).latencyNanos());
    List<GoodputReport.CriticalRun> runs = new ArrayList<>();
    for (GoodputReport.PolicyGoodput p : found) {
      if (p.atGoodput() == null) {
        out.printf(Locale.ROOT, "  %-11s has no goodput point: no critical mix run%n", p.policy());
        continue;
      }
      List<Workload.Instance> mix = new ArrayList<>();
      Workload.Instance critical = null;
      for (Workload.Instance i : Workload.scaled(base, p.result().multiplier())) {
        if (i.name().equals(name)) {
          critical = new Workload.Instance(i.name(), i.arch(), i.rateRps(), sloNanos, i.flopsPerRequest(), 1);
          mix.add(critical);
        } else {
          mix.add(i);
        }
      }
      progress.printf(Locale.ROOT, "bench policies: critical mix under %s ...%n", p.policy());
      progress.flush();
      PolicyResult mixed = unchecked(() -> probe.run(priorityRunner, p.policy(), mix, null));
      PolicyResult alone = unchecked(() -> probe.run(priorityRunner, p.policy(), mix, name));
      runs.add(new GoodputReport.CriticalRun(p.policy(), p.goodputRps(base.get(0).rateRps(), base.size()), mixed,
          alone, name));
    }
    return new GoodputReport.Critical(name, c.arch(), sloNanos, runs);
  }

  private interface Run<T> {
    T call() throws Exception;
  }

  private static <T> T unchecked(Run<T> run) {
    try {
      return run.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }
}
