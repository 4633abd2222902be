package dev.braid.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoublePredicate;

/**
 * The highest offered rate that still meets a latency threshold, found with as few probes as the
 * resolution allows. Pure: the probe is a predicate the caller supplies (a short load run in
 * {@code bench load}, a formula in tests).
 *
 * <p>Doubles from {@code startRate} while probes pass (up to {@code maxRate}), then bisects
 * between the highest rate that passed (0 when even {@code startRate} failed) and the lowest that
 * failed until they are within {@code resolution} of each other (a share of the failing rate).
 * Assumes the predicate is monotone (a server that meets the threshold at some rate meets it at
 * any lower one), which holds for a queueing server up to noise; the result is the highest rate
 * that passed, 0 if none.
 */
public final class MaxRateSearch {
  /** One probe: the rate tried and whether it met the threshold. */
  public record Probe(double rate, boolean passed) {}

  /** The highest passing rate (0 if none), the probes in the order run, and whether maxRate passed. */
  public record Result(double maxRate, List<Probe> probes, boolean cappedAtMax) {}

  private MaxRateSearch() {}

  public static Result search(double startRate, double maxRate, double resolution, DoublePredicate meets) {
    if (!(startRate > 0) || !(maxRate >= startRate)) {
      throw new IllegalArgumentException("rates: expected 0 < start rate <= max rate, got start " + startRate
          + " and max " + maxRate);
    }
    if (!(resolution > 0 && resolution < 1)) {
      throw new IllegalArgumentException("resolution: expected a share in (0, 1), got " + resolution);
    }
    List<Probe> probes = new ArrayList<>();
    double passed = 0;
    double failed = Double.NaN;
    double rate = startRate;
    while (true) {
      boolean ok = meets.test(rate);
      probes.add(new Probe(rate, ok));
      if (!ok) {
        failed = rate;
        break;
      }
      passed = rate;
      if (rate >= maxRate) {
        return new Result(passed, probes, true);
      }
      rate = Math.min(rate * 2, maxRate);
    }
    double low = passed;
    double high = failed;
    while (high - low > resolution * high) {
      double mid = (low + high) / 2;
      boolean ok = meets.test(mid);
      probes.add(new Probe(mid, ok));
      if (ok) {
        low = mid;
      } else {
        high = mid;
      }
    }
    return new Result(low, probes, false);
  }

  /**
   * The rates of a sweep "A:B:STEP": A, A+STEP, ... up to B inclusive (B itself when the steps
   * land on it within a millionth of STEP).
   */
  public static List<Double> sweep(String flag, String text) {
    String[] parts = text.split(":");
    double a;
    double b;
    double step;
    try {
      if (parts.length != 3) {
        throw new NumberFormatException();
      }
      a = Double.parseDouble(parts[0]);
      b = Double.parseDouble(parts[1]);
      step = Double.parseDouble(parts[2]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": expected START:END:STEP in requests/s (e.g. 10:100:10), got '"
          + text + "'");
    }
    if (!(a > 0) || !(b >= a) || !(step > 0)) {
      throw new IllegalArgumentException(flag + ": expected 0 < START <= END and STEP > 0, got '" + text + "'");
    }
    List<Double> rates = new ArrayList<>();
    for (long i = 0; a + i * step <= b + step * 1e-6; i++) {
      rates.add(a + i * step);
      if (rates.size() > 1000) {
        throw new IllegalArgumentException(flag + ": expected at most 1000 rates, got more from '" + text + "'");
      }
    }
    return rates;
  }
}
