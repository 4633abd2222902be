package dev.braid.bench.faults.net;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.braid.bench.faults.FaultsRunner;
import dev.braid.bench.faults.ModelOracle;
import dev.braid.bench.faults.NodeLauncher;
import dev.braid.bench.faults.Scenario;
import dev.braid.bench.faults.ScenarioRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partition scenario's short form on a real five-node cluster in network namespaces: the side
 * without the oldest coordinator node downs itself, two coordinators never overlap, every request
 * ends with a correct result or an explicit error, and the near side keeps serving. Skipped with
 * one line where namespaces cannot be made (not root).
 */
class PartitionScenarioTest {
  @TempDir Path dir;

  @BeforeEach
  void requireNamespaces() {
    assumeTrue(NetLab.unavailableReason().isEmpty(), () -> "skipped: " + NetLab.unavailableReason().orElse(""));
  }

  @Test
  void theSideWithoutTheOldestCoordinatorNodeDownsItselfAndServingGoesOn() throws Exception {
    Path repo = dir.resolve("repo");
    // The nodes' logs and event streams stay in target/ after the test, to read when it fails.
    Path logs = Path.of("target", "partition-scenario", String.valueOf(System.currentTimeMillis()));
    Scenario.Context ctx = new Scenario.Context(logs, repo, ModelOracle.create(repo),
        NodeLauncher.LOCAL, true, null, new PrintWriter(System.out, true));
    Scenario scenario = PartitionScenario.scenario(PartitionScenario.Split.OLDEST_WITH_THREE);
    ScenarioRun run = FaultsRunner.run(scenario, ctx, 1);
    String report = "outcomes " + run.ledger().countsByStatus() + ", figures " + run.orderedFigures() + "\n"
        + run.checks().stream().map(c -> (c.passed() ? "kept   " : "BROKEN ") + c.promise() + ": " + c.detail())
            .collect(Collectors.joining("\n"));
    System.out.println(report);
    assertTrue(run.passed(), report);
    assertTrue(run.figures().get("far_side_down_ms") > 0, report);
  }
}
