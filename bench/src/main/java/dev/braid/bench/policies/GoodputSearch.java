package dev.braid.bench.policies;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.DoubleFunction;
import java.util.function.Predicate;

/**
 * The search behind {@code bench policies --goodput}: the highest load multiplier, on a geometric
 * grid, at which a probe passes (at least 99% of requests within their SLO). Pure: no device, no
 * clock; the probe is injected, so a test drives it with a step function.
 *
 * <p><b>The grid.</b> Step {@code k} is the multiplier {@code 2^(k / stepsPerDoubling)}, for
 * {@code minStep <= k <= maxStep}; with 8 steps per doubling neighbours are 9.05% apart, the
 * search's resolution.
 *
 * <p><b>The search.</b> Probe step 0 (the base load). If it passes, probe {@code bracketSteps} up
 * at a time until a probe fails or the top of the grid passes; if it fails, {@code bracketSteps}
 * down at a time until a probe passes or the bottom of the grid fails. That brackets the answer
 * between a passing step and a failing step at most {@code bracketSteps} apart; bisect the steps
 * between them until they are neighbours. The answer is the passing step, or none when the bottom
 * of the grid fails. With the default grid (8 steps per doubling, brackets of 4 steps, a factor of
 * 1.41) a bracket found after {@code b} moves costs {@code 1 + b + 2} probes: 5 to 7 for loads
 * within 4x of the base. Brackets of half a doubling rather than a whole one keep the probes
 * above the answer close to it: a heavily overloaded probe costs the most wall time to simulate
 * (every queued job is re-sorted at every decision), and it says no more than a mildly
 * overloaded one.
 *
 * <p>The search assumes that passing is monotone in the load (a policy that meets its SLOs at a
 * load also meets them at a lower one): with the same seed at every probe, arrivals at multiplier
 * {@code m} are the base arrivals compressed by {@code m} (see {@link Workload#generate}), so the
 * probes differ in load only. Where measurement noise breaks monotonicity, the answer is still a
 * passing step whose neighbour above failed. The same probes in the same order give the same
 * answer: nothing here depends on time or chance.
 *
 * @param stepsPerDoubling grid steps per factor of 2; at least 1
 * @param bracketSteps grid steps per move while bracketing; at least 1
 * @param minStep the lowest step probed; at most 0
 * @param maxStep the highest step probed; at least 0
 */
record GoodputSearch(int stepsPerDoubling, int bracketSteps, int minStep, int maxStep) {

  /** The benchmark's grid: 9.05% resolution, brackets of 1.41x, multipliers 1/32 to 16 of the base load. */
  static final GoodputSearch DEFAULT = new GoodputSearch(8, 4, -40, 32);

  GoodputSearch {
    if (stepsPerDoubling < 1) {
      throw new IllegalArgumentException("stepsPerDoubling must be >= 1, got " + stepsPerDoubling);
    }
    if (bracketSteps < 1) {
      throw new IllegalArgumentException("bracketSteps must be >= 1, got " + bracketSteps);
    }
    if (minStep > 0 || maxStep < 0) {
      throw new IllegalArgumentException("the grid must hold step 0: need minStep <= 0 <= maxStep, got " + minStep
          + " and " + maxStep);
    }
  }

  /** The load multiplier of grid step {@code step}. */
  double multiplier(int step) {
    return Math.pow(2, step / (double) stepsPerDoubling);
  }

  /** The ratio between neighbouring steps less one: the search's relative resolution. */
  double resolution() {
    return multiplier(1) - 1;
  }

  /**
   * One probe: the load multiplier tried and what it gave.
   *
   * @param step the grid step
   * @param multiplier {@code multiplier(step)}
   * @param outcome what the probe measured
   * @param passed whether it met the target
   */
  record Probe<T>(int step, double multiplier, T outcome, boolean passed) {}

  /**
   * What the search found.
   *
   * @param probes every probe in the order run
   * @param best the highest passing probe whose step above failed (or is the grid's top); null
   *     when the bottom of the grid failed
   * @param atCeiling true when the top of the grid passed, so the answer is a lower bound
   */
  record Result<T>(List<Probe<T>> probes, Probe<T> best, boolean atCeiling) {
    Result {
      probes = List.copyOf(probes);
    }

    /** The goodput multiplier, or 0 when no step passed. */
    double multiplier() {
      return best == null ? 0 : best.multiplier();
    }
  }

  /**
   * Runs the search.
   *
   * @param probe runs the workload at a multiplier and returns what it measured
   * @param passes whether a probe's outcome meets the target
   */
  <T> Result<T> run(DoubleFunction<T> probe, Predicate<T> passes) {
    Objects.requireNonNull(probe, "probe");
    Objects.requireNonNull(passes, "passes");
    List<Probe<T>> probes = new ArrayList<>();
    Probe<T> first = probe(0, probe, passes, probes);
    Probe<T> pass;
    Probe<T> fail;
    if (first.passed()) {
      pass = first;
      fail = null;
      while (pass.step() < maxStep) {
        Probe<T> up = probe(Math.min(maxStep, pass.step() + bracketSteps), probe, passes, probes);
        if (!up.passed()) {
          fail = up;
          break;
        }
        pass = up;
      }
      if (fail == null) {
        return new Result<>(probes, pass, true);
      }
    } else {
      fail = first;
      pass = null;
      while (fail.step() > minStep) {
        Probe<T> down = probe(Math.max(minStep, fail.step() - bracketSteps), probe, passes, probes);
        if (down.passed()) {
          pass = down;
          break;
        }
        fail = down;
      }
      if (pass == null) {
        return new Result<>(probes, null, false);
      }
    }
    while (fail.step() - pass.step() > 1) {
      // floorDiv keeps the midpoint strictly between the two for negative steps too
      Probe<T> mid = probe(Math.floorDiv(pass.step() + fail.step(), 2), probe, passes, probes);
      if (mid.passed()) {
        pass = mid;
      } else {
        fail = mid;
      }
    }
    return new Result<>(probes, pass, false);
  }

  private <T> Probe<T> probe(int step, DoubleFunction<T> probe, Predicate<T> passes, List<Probe<T>> probes) {
    double m = multiplier(step);
    T outcome = probe.apply(m);
    Probe<T> p = new Probe<>(step, m, outcome, passes.test(outcome));
    probes.add(p);
    return p;
  }
}
