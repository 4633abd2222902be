package dev.braid.bench.faults;

import dev.braid.bench.DurationFlag;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench faults}: starts real Braid clusters on this machine, injects a scenario's
 * faults under load, accounts for every request, and writes {@code OUT/<scenario>/faults.json} and
 * a PNG per run. Exit codes: 0 every promise kept, 1 a promise broken, 2 bad flags.
 */
@Command(
    name = "faults",
    mixinStandardHelpOptions = true,
    description = "Kill, pause, drain and overload a real Braid cluster on this machine under load; account for "
        + "every request; write faults.json and a plot per run.")
public final class FaultsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--scenario", description = "A scenario or 'all' (every scenario, the bench-only churn and soak "
      + "included). Scenarios: kill-gpu, kill-coordinator, kill-frontend, pause-short, pause-long, leave, drain, "
      + "overload, cancel, partition, partition-oldest-with-two, churn, soak (default: ${DEFAULT-VALUE}).")
  String scenario = "all";

  @Option(names = "--runs", description = "Runs of each scenario (default: ${DEFAULT-VALUE}).")
  int runs = 3;

  @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out = Path.of("faults");

  @Option(names = "--duration", description = "How long the soak loads the cluster: 30m, 90s ... "
      + "(default: 30m).")
  String duration;

  @Option(names = "--quick", description = "Short phases (seconds, as the tests run them) and 3 churn cycles.")
  boolean quick;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (runs < 1) {
      err.println("--runs: expected an integer >= 1, got " + runs);
      return 2;
    }
    List<Scenario> chosen;
    Duration soak;
    try {
      chosen = scenario.equals("all") ? Scenarios.all() : List.of(Scenarios.get(scenario));
      soak = duration == null ? (quick ? null : Duration.ofMinutes(30)) : DurationFlag.parse("--duration", duration);
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      return 2;
    }
    Path work = Files.createDirectories(out.resolve("work"));
    Path repo = work.resolve("repo");
    ModelOracle oracle = ModelOracle.create(repo);
    boolean allKept = true;
    long started = System.nanoTime();
    for (Scenario s : chosen) {
      List<ScenarioRun> done = new ArrayList<>();
      for (int i = 1; i <= runs; i++) {
        o.printf("%s run %d/%d: %s%n", s.name(), i, runs, s.fault());
        o.flush();
        Path dir = Files.createDirectories(work.resolve(s.name() + "-run" + i));
        Scenario.Context ctx = new Scenario.Context(dir, repo, oracle, NodeLauncher.LOCAL, quick, soak, o);
        ScenarioRun r = FaultsRunner.run(s, ctx, i);
        done.add(r);
        o.println("  outcomes " + r.ledger().countsByStatus() + "; " + figures(r.figures()));
        for (ScenarioRun.Check c : r.checks()) {
          o.println("  " + (c.passed() ? "kept  " : "BROKEN") + " " + c.promise() + ": " + c.detail());
        }
        for (ScenarioRun.Target t : r.targets()) {
          o.println("  target " + (t.met() ? "met   " : "MISSED") + " " + t.target() + ": " + t.detail());
        }
        o.flush();
      }
      for (String line : FaultsReport.write(out.resolve(s.name()), s, done)) {
        o.println(line);
      }
      allKept &= done.stream().allMatch(ScenarioRun::passed);
    }
    o.printf(Locale.ROOT, "%d scenario(s), %d run(s) each, in %.1f min: %s%n", chosen.size(), runs,
        (System.nanoTime() - started) / 6e10, allKept ? "every promise kept" : "a promise was BROKEN");
    o.flush();
    return allKept ? 0 : 1;
  }

  private static String figures(Map<String, Double> f) {
    StringBuilder b = new StringBuilder();
    f.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(' ')
        .append(String.format(Locale.ROOT, "%.4g", v)));
    return b.toString();
  }
}
