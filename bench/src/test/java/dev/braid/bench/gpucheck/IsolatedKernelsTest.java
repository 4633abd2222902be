package dev.braid.bench.gpucheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restart loop of {@code gpucheck kernels --isolate} over scripted children: each child is a
 * real process ({@code sh}) whose journal the test writes as the scripted child would have, so a
 * crash, a hang and a device error are each exercised without a GPU.
 */
class IsolatedKernelsTest {
  @TempDir Path dir;

  /** What one scripted child does: the journal it leaves, then how it ends ({@code sh -c} script). */
  private record Script(String journal, String shell) {}

  /** A launcher that plays {@code scripts} in order and records the ranges it was asked for. */
  private static final class Scripted implements IsolatedKernels.ChildLauncher {
    final List<Script> scripts;
    final List<String> ranges = new ArrayList<>();

    Scripted(List<Script> scripts) {
      this.scripts = scripts;
    }

    @Override
    public Process start(int from, int to, Path journal) throws IOException {
      Script s = scripts.get(ranges.size());
      ranges.add(from + ".." + to);
      Files.writeString(journal, s.journal());
      return new ProcessBuilder("sh", "-c", s.shell()).start();
    }
  }

  private static String done(int i, boolean passed, boolean deviceError, String failure) {
    return CaseJournal.doneLine(new CaseJournal.Done(i, new ErrorStats(0, passed ? 0 : 1, 4), passed, deviceError, failure));
  }

  @Test
  void aCrashAHangAndADeviceErrorEachFailOneCaseAndTheRestRunInFreshProcesses() throws Exception {
    Scripted launcher = new Scripted(List.of(
        new Script(CaseJournal.deviceLine("GPU") + CaseJournal.startLine(0) + done(0, true, false, null)
            + CaseJournal.startLine(1) + done(1, false, true, "CUDA_ERROR_ILLEGAL_ADDRESS"), "exit 3"),
        new Script(CaseJournal.startLine(2), "exit 134"),
        new Script(CaseJournal.startLine(3) + done(3, true, false, null) + CaseJournal.startLine(4), "exec sleep 60"),
        new Script(CaseJournal.startLine(5) + done(5, true, false, null), "exit 0")));
    StringWriter log = new StringWriter();
    IsolatedKernels.Result r = new IsolatedKernels(launcher, Duration.ofSeconds(1), Duration.ofMillis(50),
        new PrintWriter(log, true)).run(0, 6, dir);

    assertEquals(List.of("0..6", "2..6", "3..6", "5..6"), launcher.ranges, "each fresh process starts after the fault");
    assertEquals(4, r.processes());
    assertEquals("GPU", r.deviceName());
    assertEquals(List.of(0, 1, 3, 5), List.copyOf(r.done().keySet()));
    assertEquals(List.of(1, 2, 4), r.faults().stream().map(IsolatedKernels.Fault::index).toList(), log.toString());
    assertTrue(r.faults().get(0).why().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), r.faults().get(0).why());
    assertTrue(r.faults().get(1).why().contains("died (exit code 134)"), r.faults().get(1).why());
    assertTrue(r.faults().get(2).why().startsWith("hung"), r.faults().get(2).why());

    List<KernelsCommand.Outcome> outcomes = KernelsCommand.outcomes(KernelCases.all(), 0, 6, r);
    assertEquals(List.of(true, false, false, true, false, true), outcomes.stream().map(KernelsCommand.Outcome::passed).toList());
    assertEquals(List.of(false, true, true, false, true, false),
        outcomes.stream().map(o -> o.fault() != null).toList(), "the faulted cases are named");
    String json = KernelsCommand.toJson("cuda", "GPU", 1e-4, outcomes, r.processes());
    assertTrue(json.contains("\"processes\": 4"), json);
    assertTrue(json.contains("\"faulted_cases\": [\"" + KernelCases.all().get(1).name() + "\", \""
        + KernelCases.all().get(2).name() + "\", \"" + KernelCases.all().get(4).name() + "\"]"), json);
  }

  @Test
  void aChildThatDiesBeforeItsFirstCaseEndsTheLoopWithEveryRemainingCaseFailed() throws Exception {
    Scripted launcher = new Scripted(List.of(new Script("", "exit 1")));
    IsolatedKernels.Result r = new IsolatedKernels(launcher, Duration.ofSeconds(5), Duration.ofMillis(50),
        new PrintWriter(new StringWriter())).run(2, 5, dir);
    assertEquals(1, r.processes(), "one process, not one per case");
    assertEquals(List.of(2, 3, 4), r.faults().stream().map(IsolatedKernels.Fault::index).toList());
    assertTrue(r.faults().get(0).why().contains("exited (code 1) before its first case"), r.faults().get(0).why());
  }

  @Test
  void theJournalRoundTripsAndIgnoresALineCutShortByACrash() {
    CaseJournal.Done d = new CaseJournal.Done(7, new ErrorStats(1.5e-7, 2.5e-8, 1024), true, false, null);
    CaseJournal.Done bad = new CaseJournal.Done(8, ErrorStats.ZERO, false, true, "tab\there\nnewline");
    CaseJournal.Progress p = CaseJournal.parse(CaseJournal.deviceLine("H100") + CaseJournal.startLine(7)
        + CaseJournal.doneLine(d) + CaseJournal.startLine(8) + CaseJournal.doneLine(bad) + "start\t9");
    assertEquals("H100", p.deviceName());
    assertEquals(List.of(d, new CaseJournal.Done(8, ErrorStats.ZERO, false, true, "tab here newline")), p.done());
    assertEquals(8, p.lastStarted(), "the cut line 'start 9' is not counted");
    assertEquals(-1, p.unfinished());
    assertEquals(9, CaseJournal.parse(CaseJournal.startLine(9)).unfinished());
    String e = assertThrows(IllegalArgumentException.class, () -> CaseJournal.parse("start\tx\n")).getMessage();
    assertTrue(e.contains("line 1") && e.contains("start\tx"), e);
  }
}
