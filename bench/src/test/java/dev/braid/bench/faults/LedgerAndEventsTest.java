package dev.braid.bench.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's pure parts: reading event streams, the ledger's account, recovery after a fault. */
class LedgerAndEventsTest {
  @TempDir Path dir;

  @Test
  void anEventLineKeepsItsKindNodeTimeAndFields() {
    NodeEvent e = NodeEvent.parse("{\"t_ms\":1733500000123,\"node\":\"127.0.0.1:2552\",\"event\":\"executed\","
        + "\"model\":\"mlp\",\"request_id\":\"c0-\\\"7\\\"\",\"gpu\":0,\"roles\":[\"gpu\",\"frontend\"]}");
    assertEquals(1733500000123L, e.tMs());
    assertEquals("127.0.0.1:2552", e.node());
    assertEquals("executed", e.kind());
    assertEquals("c0-\"7\"", e.field("request_id"));
    assertEquals("0", e.field("gpu"));
    assertEquals("[\"gpu\",\"frontend\"]", e.field("roles"));
    assertEquals("", e.field("absent"));
  }

  @Test
  void aTornLastLineIsSkippedAndAMissingFileIsNamed() throws Exception {
    Path f = dir.resolve("n.events.jsonl");
    Files.writeString(f, "{\"t_ms\":1,\"node\":\"a:1\",\"event\":\"started\"}\n{\"t_ms\":2,\"node\":\"a:1\",\"ev");
    List<NodeEvent> events = NodeEvent.read(f);
    assertEquals(1, events.size());
    assertEquals("started", events.get(0).kind());
    assertNull(NodeEvent.parse("not json"));
    NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> NodeEvent.read(dir.resolve("none")));
    assertTrue(missing.getMessage().contains("braid.events.file"), missing.getMessage());
  }

  @Test
  void theLedgerCountsEachRequestOnceAndClosesOpenOnesAsNone() {
    Ledger l = new Ledger();
    Ledger.Entry a = l.open("c", 100);
    Ledger.Entry b = l.open("c", 100);
    Ledger.Entry c = l.open("c", 100);
    Ledger.Entry d = l.open("c", 100);
    l.answered(a, true);
    l.answered(a, false); // a second status does not replace the first
    l.failed(b, Status.UNAVAILABLE, false);
    l.answered(c, false);
    assertEquals(1, l.closeOpen("run ended"));
    assertEquals(Map.of("CORRECT", 1L, "UNAVAILABLE", 1L, "WRONG", 1L, "NONE", 1L), l.countsByStatus());
    assertEquals(Ledger.Outcome.NONE, d.outcome());
    assertTrue(!a.id().equals(b.id()));
  }

  @Test
  void recoveryEndsWhenASecondsCorrectAnswersAreBackAboveHalfTheRateBeforeTheFault() {
    // every 100 ms until the fault at 1000 ms (10/s), nothing until 1800, then every 100 ms again
    double[] hole = DoubleStream.concat(DoubleStream.iterate(0, x -> x <= 1000, x -> x + 100),
        DoubleStream.iterate(1800, x -> x <= 3000, x -> x + 100)).toArray();
    // the last window under 5 answers is [1200, 2200): 1800..2100
    assertArrayEquals(new double[] {800, 1200}, ScenarioRun.outageAfter(hole, 1000, 3050), 1e-9);
    // no hole: the rate never halves
    double[] steady = DoubleStream.iterate(0, x -> x <= 3000, x -> x + 100).toArray();
    assertArrayEquals(new double[] {100, 0}, ScenarioRun.outageAfter(steady, 1050, 3050), 1e-9);
  }

  @Test
  void aMissedTargetIsReportedButOnlyABrokenPromiseFailsTheRun() {
    ScenarioRun r = new ScenarioRun("overload", 1);
    r.check("refusals are explicit", true, "3 refused");
    r.target("refusals answered within 10 ms at p99", 742.6, false, "p99 742.6 ms");
    r.target("nothing measured", Double.NaN, true, "no refusal");
    assertTrue(r.passed(), "a missed target is a figure, not a broken promise");
    assertTrue(!r.targetsMet());
    assertTrue(!r.targets().get(1).met(), "a NaN measurement never meets its target");
    String json = FaultsReport.json(Scenario.of("overload", "3x", false, (c, x) -> {}), java.util.List.of(r));
    assertTrue(json.contains("\"target\": \"refusals answered within 10 ms at p99\", \"measured\": 742.600,"
        + " \"met\": false"), json);
    r.check("every request has a final status", false, "1 NONE");
    assertTrue(!r.passed());
  }
}
