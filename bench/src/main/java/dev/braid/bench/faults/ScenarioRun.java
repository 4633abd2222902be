package dev.braid.bench.faults;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run of a scenario found: its ledger, its figures and the verdict on each promise. The
 * runner adds the promises every scenario shares ({@link #finish}).
 */
public final class ScenarioRun {
  /** A promise and whether the run kept it; {@code detail} gives the measured value. */
  public record Check(String promise, boolean passed, String detail) {}

  /** A gap of at least this long between correct answers counts as an outage when recovery is measured. */
  public static final double OUTAGE_GAP_MS = 250;

  private final String scenario;
  private final int index;
  private Ledger ledger;
  private final Map<String, Double> figures = new LinkedHashMap<>();
  private final List<Check> checks = new ArrayList<>();
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

  /** The exception that ended the run early, or null. */
  public String error() {
    return error;
  }

  void failed(Throwable t) {
    String msg = String.valueOf(t.getMessage());
    error = t.getClass().getSimpleName() + ": " + (msg.length() > 4000 ? msg.substring(0, 4000) + " ..." : msg);
    checks.add(new Check("the scenario ran to its end", false, error));
  }

  /** Whether every promise was kept. */
  public boolean passed() {
    return error == null && checks.stream().allMatch(Check::passed);
  }

  /**
   * Adds the shared figures and promises: requests by outcome, the failed share, recovery after the
   * first fault; no request without a final status, no wrong answer.
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
    List<Ledger.Mark> marks = ledger.marks();
    if (!marks.isEmpty()) {
      double fault = marks.get(0).tMs();
      double[] gap = outageAfter(ledger.correctTimesMs(), fault, ledger.nowMs());
      figures.put("longest_gap_after_fault_ms", gap[0]);
      figures.put("recovery_ms", gap[1]);
    }
    checks.add(0, new Check("every request has a final status (no NONE)", none == 0, none + " of " + total));
    checks.add(1, new Check("no wrong answer", wrong == 0, wrong + " of " + total));
  }

  /**
   * {longest gap between correct answers overlapping [fault, end], time from the fault until the
   * end of the last gap of at least {@link #OUTAGE_GAP_MS} that ends after the fault (0 when
   * correct answers never stopped)}.
   */
  static double[] outageAfter(double[] correctMs, double faultMs, double endMs) {
    double[] t = correctMs.clone();
    Arrays.sort(t);
    double longest = 0;
    double recovery = 0;
    double prev = Double.NaN;
    for (int i = 0; i <= t.length; i++) {
      double cur = i < t.length ? t[i] : endMs;
      if (cur < faultMs) {
        prev = cur;
        continue;
      }
      double from = Double.isNaN(prev) ? faultMs : Math.max(prev, faultMs);
      double gap = cur - from;
      if (gap > longest) {
        longest = gap;
      }
      if (gap >= OUTAGE_GAP_MS && i < t.length) {
        recovery = cur - faultMs;
      }
      prev = cur;
    }
    return new double[] {longest, recovery};
  }
}
