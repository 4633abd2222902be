package dev.braid.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * ONNX's own backend test data (the Debian package {@code libonnx-testdata}, ONNX 1.12: the
 * {@code node}, {@code pytorch-converted}, {@code pytorch-operator} and {@code simple} suites),
 * every case run through Braid's ONNX import and the CPU device ({@link CaseRunner}) and compared
 * with its expected outputs ({@link OutputComparison}). Distinct from {@code
 * dev.braid.device.conformance}, which checks Braid against ONNX Runtime on generated models.
 *
 * <p>It fails when any case gives a WRONG answer, or when a case of the committed {@link
 * PassingList} no longer passes. Refusals (a missing operator, a form Braid does not run) and
 * ERRORs (unexpected exceptions, reported as defects to fix) do not fail it. It prints the counts
 * per suite and writes {@code target/conformance/report.json}, {@code report.md} and
 * {@code summary.md}; with {@code -Dbraid.conformance.update=true} it rewrites the passing list
 * with every case that passed.
 *
 * <p>Cases run on {@code braid.conformance.threads} threads (default: min(2, processors)), each
 * on a device of its own, each capped at {@code braid.conformance.timeoutSeconds} (default 5),
 * six times that for a case of the passing list so that a loaded machine does not turn a pass
 * into a regression; a case over its time is REFUSED with reason "timeout" (its thread, a daemon,
 * is interrupted and abandoned). The data directory is {@code braid.conformance.data} (default
 * {@code /usr/share/libonnx-testdata/data}); where it is missing the test is skipped.
 */
class OnnxBackendConformanceTest {
  static final String UPDATE_COMMAND = "mvn -B -o -pl native -am test -Dtest=OnnxBackendConformanceTest"
      + " -Dsurefire.failIfNoSpecifiedTests=false -Dbraid.conformance.update=true";
  static final Path DEFAULT_DATA = Path.of("/usr/share/libonnx-testdata/data");
  static final int LISTED_TIMEOUT_FACTOR = 6;

  @Test
  void everyCaseMatchesOnnxOrIsRefusedAndNoListedCaseRegresses() throws Exception {
    Path data = Path.of(System.getProperty("braid.conformance.data", DEFAULT_DATA.toString()));
    if (!Files.isDirectory(data.resolve("node"))) {
      String skip = "ONNX backend conformance skipped: no test data at " + data
          + " (install the Debian package libonnx-testdata, or set -Dbraid.conformance.data=DIR)";
      System.out.println(skip);
      Assumptions.assumeTrue(false, skip);
    }
    Set<String> listed = PassingList.read();
    List<BackendCase> cases = BackendCase.discover(data, BackendCase.SUITES);
    long started = System.nanoTime();
    List<CaseOutcome> outcomes = runAll(cases, listed);
    ConformanceReport report = new ConformanceReport(BackendCase.SUITES, outcomes);
    Path out = Path.of("target", "conformance");
    report.write(out);

    System.out.printf("ONNX backend conformance (%s): %d cases in %.1f s%n", data, cases.size(),
        (System.nanoTime() - started) / 1e9);
    report.lines().forEach(System.out::println);
    System.out.println("report: " + out.toAbsolutePath().resolve("report.json") + " and report.md");

    Set<String> passed = new TreeSet<>();
    report.with(Verdict.PASS).forEach(o -> passed.add(o.id()));
    Set<String> known = new TreeSet<>();
    cases.forEach(c -> known.add(c.id()));
    List<String> regressions = new ArrayList<>();
    for (String id : listed) {
      if (!passed.contains(id)) {
        CaseOutcome o = outcomes.stream().filter(x -> x.id().equals(id)).findFirst().orElse(null);
        regressions.add(id + ": " + (o == null ? "case not found in the data" : o.verdict() + " " + o.detail()));
      }
    }
    Set<String> added = new TreeSet<>(passed);
    added.removeAll(listed);
    for (CaseOutcome o : report.with(Verdict.ERROR)) {
      System.out.println("ERROR " + o.id() + ": " + o.detail());
    }
    if (!added.isEmpty()) {
      System.out.println(added.size() + " case(s) pass that the passing list does not hold: " + added);
      if (!Boolean.getBoolean("braid.conformance.update")) {
        System.out.println("add them to " + PassingList.SOURCE + " with: " + UPDATE_COMMAND);
      }
    }
    if (Boolean.getBoolean("braid.conformance.update") && regressions.isEmpty()) {
      Path moduleDir = Path.of(System.getProperty("basedir", "."));
      System.out.println("passing list rewritten: " + PassingList.write(moduleDir, passed) + " (" + passed.size() + " cases)");
    }
    List<String> wrong = report.with(Verdict.WRONG).stream().map(o -> o.id() + ": " + o.detail()).toList();
    assertTrue(wrong.isEmpty(), wrong.size() + " case(s) gave a WRONG answer:\n" + String.join("\n", wrong));
    assertTrue(regressions.isEmpty(), regressions.size() + " case(s) of " + PassingList.SOURCE
        + " no longer pass:\n" + String.join("\n", regressions));
  }

  /**
   * Runs every case, {@code threads} at a time: each of {@code threads} drivers takes the next case,
   * runs it on a fresh daemon thread and waits for it at most its time limit.
   */
  private static List<CaseOutcome> runAll(List<BackendCase> cases, Set<String> listed) throws InterruptedException {
    int threads = Integer.getInteger("braid.conformance.threads", Math.min(2, Runtime.getRuntime().availableProcessors()));
    long timeoutMillis = 1000L * Integer.getInteger("braid.conformance.timeoutSeconds", 5);
    ExecutorService workers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "conformance-case");
      t.setDaemon(true);
      return t;
    });
    ConcurrentLinkedQueue<CaseOutcome> outcomes = new ConcurrentLinkedQueue<>();
    AtomicInteger next = new AtomicInteger();
    List<Thread> drivers = new ArrayList<>();
    for (int d = 0; d < threads; d++) {
      Thread driver = new Thread(() -> {
        for (int i = next.getAndIncrement(); i < cases.size(); i = next.getAndIncrement()) {
          BackendCase c = cases.get(i);
          long limit = listed.contains(c.id()) ? LISTED_TIMEOUT_FACTOR * timeoutMillis : timeoutMillis;
          Future<CaseOutcome> f = workers.submit(() -> CaseRunner.run(c));
          try {
            outcomes.add(f.get(limit, TimeUnit.MILLISECONDS));
          } catch (TimeoutException e) {
            f.cancel(true);
            outcomes.add(new CaseOutcome(c.id(), Verdict.REFUSED, "timeout",
                "timeout: no answer within " + limit + " ms", limit));
          } catch (Exception e) {
            outcomes.add(new CaseOutcome(c.id(), Verdict.ERROR, e.getClass().getSimpleName(), String.valueOf(e), 0));
          }
        }
      }, "conformance-driver-" + d);
      drivers.add(driver);
      driver.start();
    }
    for (Thread t : drivers) {
      t.join();
    }
    workers.shutdownNow();
    return new ArrayList<>(outcomes);
  }
}
