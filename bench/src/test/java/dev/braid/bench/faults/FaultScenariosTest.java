package dev.braid.bench.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short form of the fault scenarios, each on a real cluster of three {@code braid serve} JVMs
 * (96 MiB heaps, one compute thread) on loopback: every request must end correct or with an
 * explicit error, and each scenario's own promises must hold. Timed targets (refusal latency,
 * share within deadline) are only required to have been measured: they depend on the cores the
 * run had, and this machine's are shared (benchmarks live under bench/, never as timed
 * assertions). The checks that read the nodes' event streams fail with a message naming the
 * missing file on a Braid without them.
 */
class FaultScenariosTest {
  @TempDir static Path dir;
  private static ModelOracle oracle;

  @BeforeAll
  static void oracle() throws Exception {
    oracle = ModelOracle.create(dir.resolve("repo"));
  }

  private static ScenarioRun run(String name) throws Exception {
    Path runDir = Files.createDirectories(dir.resolve(name));
    PrintWriter out = new PrintWriter(System.out, true);
    Scenario.Context ctx = new Scenario.Context(runDir, dir.resolve("repo"), oracle, NodeLauncher.LOCAL, true, null,
        out);
    ScenarioRun run = FaultsRunner.run(Scenarios.get(name), ctx, 1);
    out.println(name + ": outcomes " + run.ledger().countsByStatus() + ", figures " + run.figures());
    String checks = run.checks().stream().map(c -> (c.passed() ? "kept: " : "BROKEN: ") + c.promise() + " ("
        + c.detail() + ")").collect(Collectors.joining("\n"));
    out.println(checks);
    run.targets().forEach(t -> out.println("target " + (t.met() ? "met: " : "missed: ") + t.target() + " ("
        + t.detail() + ")"));
    assertTrue(run.ledger().count(Ledger.Outcome.CORRECT) > 0, name + ": no correct answer at all\n" + checks);
    assertEquals(0, run.ledger().count(Ledger.Outcome.NONE), name + ": requests without an answer\n" + checks);
    assertEquals(0, run.ledger().count(Ledger.Outcome.WRONG), name + ": wrong answers\n" + checks);
    assertTrue(run.passed(), name + ": a promise was broken\n" + checks);
    return run;
  }

  @Test
  void killingAGpuNodeLosesNoRequest() throws Exception {
    ScenarioRun r = run("kill-gpu");
    assertTrue(r.figures().get("placement_without_dead_node_ms") > 0);
  }

  @Test
  void killingTheCoordinatorsNodeMovesTheSingletonAndServingGoesOn() throws Exception {
    ScenarioRun r = run("kill-coordinator");
    assertTrue(r.figures().get("correct_while_no_coordinator") > 0);
  }

  @Test
  void aShortPauseDownsNobody() throws Exception {
    run("pause-short");
  }

  @Test
  void aNodeDownedWhilePausedDoesNoWorkAndExits() throws Exception {
    run("pause-long");
  }

  @Test
  void overloadIsRefusedFastAndAdmittedRequestsMakeTheirDeadline() throws Exception {
    ScenarioRun r = run("overload");
    assertTrue(r.figures().get("refused") > 0, "3x the sustainable rate must be refused in part");
    assertEquals(2, r.targets().size(), "the overload targets are reported: " + r.targets());
    for (ScenarioRun.Target t : r.targets()) {
      assertTrue(Double.isFinite(t.measured()), "target not measured: " + t);
    }
  }

  @Test
  void cancelledAndExpiredRequestsAreNeverLaunched() throws Exception {
    ScenarioRun r = run("cancel");
    assertTrue(r.figures().get("cancelled") > 0 && r.figures().get("expired_sent") > 0);
    assertTrue(r.figures().get("cancel_received_on_gpu") > 0,
        "no cancel reached a GPU, so the cancel-received check saw nothing: " + r.figures());
  }
}
