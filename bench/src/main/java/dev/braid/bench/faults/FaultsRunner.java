package dev.braid.bench.faults;

/** Runs a scenario once and closes its account: what the command and the tests share. */
public final class FaultsRunner {
  private FaultsRunner() {}

  /**
   * Runs {@code scenario}; an exception ends the run as a broken promise ("the scenario ran to its
   * end") rather than escaping, so that the ledger's figures of a failed run are still written.
   */
  public static ScenarioRun run(Scenario scenario, Scenario.Context ctx, int index) {
    ScenarioRun run = new ScenarioRun(scenario.name(), index);
    try {
      scenario.run(ctx, run);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      run.failed(e);
    } catch (Exception | AssertionError e) {
      run.failed(e);
    }
    run.ledger().closeOpen("the run ended with the request open");
    run.finish();
    return run;
  }
}
