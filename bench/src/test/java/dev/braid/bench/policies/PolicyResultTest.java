package dev.braid.bench.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.protocol.cluster.FailureReason;
import dev.braid.gpu.engine.InferResult;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The measures {@code --goodput} derives from a run's counters, and the ledger's per-model view. */
class PolicyResultTest {
  private static PolicyResult result(long launches, long superKernels, long superKernelOps, Map<Integer, Long> sizes,
      long hostBusyNanos) {
    return new PolicyResult("space-time", 10, 10, Map.of(), 10, 1_000_000_000L, 0, 0.5, "sm", 1, 2, 5, 10,
        launches, superKernels, superKernelOps, sizes, hostBusyNanos, List.of());
  }

  @Test
  void superKernelSizePercentilesComeFromTheHistogram() {
    // 8 super-kernels of 2 ops, 1 of 4, 1 of 9: the 90th percentile (9th of 10) is 4
    PolicyResult r = result(100, 10, 29, Map.of(2, 8L, 4, 1L, 9, 1L), 0);
    assertEquals(4, r.p90SuperKernelSize());
    assertEquals(2.9, r.meanSuperKernelSize(), 1e-12);
    assertEquals(0, result(100, 0, 0, Map.of(), 0).p90SuperKernelSize());
  }

  @Test
  void fusedShareCountsEveryMemberOfASuperKernelAsAnOp() {
    // 100 launches, 10 of them super-kernels of 29 ops: 90 + 29 = 119 ops, 29 fused
    PolicyResult r = result(100, 10, 29, Map.of(2, 8L, 4, 1L, 9, 1L), 0);
    assertEquals(119, r.opsLaunched());
    assertEquals(29 / 119.0, r.fusedShare(), 1e-12);
    assertEquals(10.0, r.launchesPerRequest(), 1e-12);
  }

  @Test
  void hostBusyShareIsOverTheSpanAndUnknownWithoutACounter() {
    assertEquals(0.25, result(1, 0, 0, Map.of(), 250_000_000L).hostBusyShare(), 1e-12);
    assertTrue(Double.isNaN(result(1, 0, 0, Map.of(), -1).hostBusyShare()));
  }

  @Test
  void theLedgerSplitsLatenciesAndAttainmentByInstance() {
    Workload w = new Workload(List.of(new Workload.Instance("a#0", "mlp", 1, 10, 1),
        new Workload.Instance("b#1", "bert", 1, 10, 1)), 100, new long[] {0, 1, 2, 3}, new int[] {0, 1, 0, 1});
    Ledger l = new Ledger(4);
    for (int i = 0; i < 4; i++) {
      l.submitted(i, i, i + 10);
    }
    l.answered(0, new InferResult.Completed(Map.of(), 5), 5); // a#0: 5 ns, within
    l.answered(1, new InferResult.Completed(Map.of(), 20), 20); // b#1: 19 ns, late
    l.answered(2, new InferResult.Completed(Map.of(), 9), 9); // a#0: 7 ns, within
    l.answered(3, new InferResult.Failed(FailureReason.TOO_LATE, "late"), 13); // b#1: failed
    List<PolicyResult.ModelResult> m = l.perModel(w);
    assertEquals(new PolicyResult.ModelResult("a#0", "mlp", 2, 2, 2, 5, 7), m.get(0));
    assertEquals(new PolicyResult.ModelResult("b#1", "bert", 2, 1, 0, 19, 19), m.get(1));
    assertEquals(0.0, m.get(1).sloAttainment());
  }
}
