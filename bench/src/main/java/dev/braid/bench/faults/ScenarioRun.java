package dev.braid.bench.faults;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one run of a scenario found: its ledger, its figures, the verdict on each promise and each
 * target. A <em>promise</em> is what the ledger guarantees whatever the machine's load (every
 * request has a final status, no wrong answer, refusals explicit with the right status, nothing
 * launched for an expired or cancelled request): a broken promise is a defect, and tests assert
 * them. A <em>target</em> is a timed figure (refusal latency, share within deadline, recovery
 * time): it depends on the cores the run had, so it is measured and reported met or missed, never
 * asserted in a test. The runner adds the promises every scenario shares ({@link #finish}).
 */
public final class ScenarioRun {
  /** A promise and whether the run kept it; {@code detail} gives the measured value. */
  public record Check(String promise, boolean passed, String detail) {}

  /**
   * A timed target, its measured value and whether the run met it.
   *
   * @param target what is aimed at, with its bound ("refusals answered within 10 ms at p99")
   * @param measured the measured value (NaN when the run produced nothing to measure)
   * @param met whether {@code measured} is within the bound
   * @param detail the measured value in words, with what it was measured on
   */
  public record Target(String target, double measured, boolean met, String detail) {}

  private final String scenario;
  private final int index;
  private Ledger ledger;
  private final Map<String, Double> figures = new LinkedHashMap<>();
  private final List<Check> checks = new ArrayList<>();
  private final List<Target> targets = new ArrayList<>();
  private String error;

  public ScenarioRun(String scenario, int index) {
    this.scenario = scenario;
    this.index = index;
  }

  public String scenario() {
    return scenario;
  }

  public int index() {
    return index;
  }

  /** The run's ledger, made on the first call: its clock starts when the scenario first loads its cluster. */
  public synchronized Ledger ledger() {
    if (ledger == null) {
      ledger = new Ledger();
    }
    return ledger;
  }

  /** Records a scenario figure (ms, counts, shares: the unit in the name). */
  public void figure(String name, double value) {
    figures.put(name, value);
  }

  public Map<String, Double> figures() {
    return Map.copyOf(figures);
  }

  /** The figures in the order recorded. */
  public List<Map.Entry<String, Double>> orderedFigures() {
    return List.copyOf(figures.entrySet());
  }

  /** Records a promise's verdict. */
  public void check(String promise, boolean passed, String detail) {
    checks.add(new Check(promise, passed, detail));
  }

  public List<Check> checks() {
    return List.copyOf(checks);
  }

  /** Records a timed target's measurement; {@code met} is false for a NaN measurement. */
  public void target(String target, double measured, boolean met, String detail) {
    targets.add(new Target(target, measured, met && !Double.isNaN(measured), detail));
  }

  public List<Target> targets() {
    return List.copyOf(targets);
  }

  /** Whether every target was met (reported, never a verdict on the run: see {@link #passed}). */
  public boolean targetsMet() {
    return targets.stream().allMatch(Target::met);
  }

  /** The exception that ended the run early, or null. */
  public String error() {
    return error;
  }

  void failed(Throwable t) {
    String msg = String.valueOf(t.getMessage());
    error = t.getClass().getSimpleName() + ": " + (msg.length() > 4000 ? msg.substring(0, 4000) + " ..." : msg);
    checks.add(new Check("the scenario ran to its end", false, error));
  }

  /** Whether every promise was kept; targets do not count (a missed target is a figure, not a defect). */
  public boolean passed() {
    return error == null && checks.stream().allMatch(Check::passed);
  }

  /**
   * Adds the shared figures and promises: requests by outcome, the failed share, recovery after the
   * first fault ({@link #outageAfter}); no request without a final status, no wrong answer.
   */
  void finish() {
    Ledger ledger = ledger();
    long total = ledger.entries().size();
    long correct = ledger.count(Ledger.Outcome.CORRECT);
    long none = ledger.count(Ledger.Outcome.NONE);
    long wrong = ledger.count(Ledger.Outcome.WRONG);
    long byClient = ledger.entries().stream().filter(Ledger.Entry::clientGaveUp).count();
    figures.put("requests", (double) total);
    figures.put("failed_share", total == byClient ? 0 : (double) (total - correct - byClient) / (total - byClient));
    Optional<Ledger.Mark> first = ledger.marks().stream().filter(Ledger.Mark::fault).findFirst();
    if (first.isPresent()) {
      double fault = first.get().tMs();
      double[] gap = outageAfter(ledger.correctTimesMs(), fault, ledger.nowMs());
      figures.put("longest_gap_after_fault_ms", gap[0]);
      figures.put("recovery_ms", gap[1]);
    }
    checks.add(0, new Check("every request has a final status (no NONE)", none == 0, none + " of " + total));
    checks.add(1, new Check("no wrong answer", wrong == 0, wrong + " of " + total));
  }

  /**
   * {the longest gap between correct answers overlapping [fault, end]; the time from the fault
   * until correct answers flow again: the end of the last one-second window (stepped by 100 ms)
   * after the fault whose count of correct answers is under half the rate before the fault, 0
   * when no window falls under it}. The rate before the fault is taken over the up to 10 s before
   * it (from the first correct answer).
   */
  static double[] outageAfter(double[] correctMs, double faultMs, double endMs) {
    double[] t = correctMs.clone();
    Arrays.sort(t);
    double longest = 0;
    double prev = Double.NaN;
    for (int i = 0; i <= t.length; i++) {
      double cur = i < t.length ? t[i] : endMs;
      if (cur >= faultMs) {
        double from = Double.isNaN(prev) ? faultMs : Math.max(prev, faultMs);
        longest = Math.max(longest, cur - from);
      }
      prev = cur;
    }
    double before = t.length == 0 ? faultMs : Math.max(t[0], faultMs - 10_000);
    double baseline = before < faultMs ? count(t, before, faultMs) / ((faultMs - before) / 1000) : 0;
    double recovery = 0;
    for (double w = faultMs + WINDOW_MS; w <= endMs; w += STEP_MS) {
      if (count(t, w - WINDOW_MS, w) < 0.5 * baseline * (WINDOW_MS / 1000)) {
        recovery = w - faultMs;
      }
    }
    return new double[] {longest, recovery};
  }

  private static final double WINDOW_MS = 1000;
  private static final double STEP_MS = 100;

  /** How many of the sorted {@code t} lie in [from, to). */
  private static int count(double[] t, double from, double to) {
    int lo = lowerBound(t, from);
    int hi = lowerBound(t, to);
    return hi - lo;
  }

  private static int lowerBound(double[] t, double v) {
    int lo = 0;
    int hi = t.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (t[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
