package dev.braid.bench.faults;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * One fault experiment: builds its cluster, loads it, injects its faults on a schedule, and
 * records in a {@link ScenarioRun} its ledger, its own figures and the checks of its promises. The
 * checks every scenario shares (no request without an answer, no wrong answer) are the runner's.
 */
public interface Scenario {
  /** The name of {@code --scenario}. */
  String name();

  /** The fault, in one line (faults.json and the README's table). */
  String fault();

  /** Whether {@code --scenario all} runs it only in the bench (long: churn, soak), never in tests' short form. */
  boolean benchOnly();

  /** Runs the scenario once; a thrown exception fails the run (recorded, not propagated, by the runner). */
  void run(Context ctx, ScenarioRun run) throws Exception;

  /**
   * What a run needs.
   *
   * @param dir this run's folder (logs, events)
   * @param repo the model repository (the zoo's mlp)
   * @param oracle the expected answers
   * @param launcher how nodes are started
   * @param quick the short form (tests): seconds per phase instead of tens
   * @param soak how long the soak scenarios load the cluster
   * @param out progress lines
   */
  record Context(Path dir, Path repo, ModelOracle oracle, NodeLauncher launcher, boolean quick, Duration soak,
      PrintWriter out) {
    public Context {
      Objects.requireNonNull(dir, "dir");
      Objects.requireNonNull(oracle, "oracle");
      Objects.requireNonNull(launcher, "launcher");
      Objects.requireNonNull(out, "out");
    }

    /** A phase's length: {@code quickSeconds} in the short form, {@code benchSeconds} in the bench. */
    public Duration phase(double quickSeconds, double benchSeconds) {
      return Duration.ofMillis(Math.round(1000 * (quick ? quickSeconds : benchSeconds)));
    }

    public void say(String line) {
      out.println(line);
      out.flush();
    }
  }

  /** A scenario from its parts. */
  static Scenario of(String name, String fault, boolean benchOnly, Body body) {
    return new Scenario() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String fault() {
        return fault;
      }

      @Override
      public boolean benchOnly() {
        return benchOnly;
      }

      @Override
      public void run(Context ctx, ScenarioRun run) throws Exception {
        body.run(ctx, run);
      }
    };
  }

  /** A scenario's body. */
  @FunctionalInterface
  interface Body {
    void run(Context ctx, ScenarioRun run) throws Exception;
  }
}
