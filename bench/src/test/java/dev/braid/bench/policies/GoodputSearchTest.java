package dev.braid.bench.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link GoodputSearch} on fake evaluators: step functions of the load multiplier. */
class GoodputSearchTest {
  private static final GoodputSearch GRID = GoodputSearch.DEFAULT;

  /** Runs the search on a step function: attainment 1 up to {@code threshold}, 0.5 above. */
  private static GoodputSearch.Result<Double> onStep(double threshold, List<Double> probed) {
    return GRID.run(m -> {
      probed.add(m);
      return m <= threshold ? 1.0 : 0.5;
    }, a -> a >= GoodputReport.TARGET_ATTAINMENT);
  }

  @Test
  void findsTheThresholdOfAStepFunctionWithinOneGridStep() {
    for (double threshold : new double[] {0.05, 0.3, 0.77, 1.0, 1.05, 2.5, 3.7, 9.99}) {
      GoodputSearch.Result<Double> r = onStep(threshold, new ArrayList<>());
      double found = r.multiplier();
      assertTrue(found <= threshold, "found x" + found + " above the threshold x" + threshold);
      assertTrue(threshold < found * (1 + GRID.resolution()) + 1e-12,
          "found x" + found + " more than one step (" + GRID.resolution() + ") below x" + threshold);
      assertFalse(r.atCeiling());
      // the step above the answer was probed and failed: the answer is a bracket, not a guess
      double above = GRID.multiplier(r.best().step() + 1);
      assertTrue(r.probes().stream().anyMatch(p -> !p.passed() && Math.abs(p.multiplier() - above) < 1e-12),
          "the step above x" + found + " was not shown to fail: " + r.probes());
    }
  }

  @Test
  void probesOnlyAFewLoadsAndNeverTheSameTwice() {
    for (double threshold : new double[] {0.3, 1.0, 2.5, 3.7}) {
      List<Double> probed = new ArrayList<>();
      onStep(threshold, probed);
      assertTrue(probed.size() <= 8, "threshold " + threshold + ": " + probed.size() + " probes " + probed);
      assertEquals(probed.size(), probed.stream().distinct().count(), "a load probed twice: " + probed);
    }
  }

  @Test
  void theSameEvaluatorGivesTheSameProbesAndAnswer() {
    List<Double> first = new ArrayList<>();
    List<Double> second = new ArrayList<>();
    GoodputSearch.Result<Double> a = onStep(1.9, first);
    GoodputSearch.Result<Double> b = onStep(1.9, second);
    assertEquals(first, second);
    assertEquals(a.multiplier(), b.multiplier());
  }

  @Test
  void aPolicyThatAlwaysPassesReachesTheTopOfTheGridAsALowerBound() {
    GoodputSearch.Result<Double> r = onStep(Double.MAX_VALUE, new ArrayList<>());
    assertTrue(r.atCeiling());
    assertEquals(GRID.multiplier(GRID.maxStep()), r.multiplier(), 1e-12);
  }

  @Test
  void aPolicyThatNeverPassesHasNoGoodput() {
    GoodputSearch.Result<Double> r = onStep(0, new ArrayList<>());
    assertNull(r.best());
    assertEquals(0, r.multiplier());
    assertEquals(GRID.multiplier(GRID.minStep()), r.probes().get(r.probes().size() - 1).multiplier(), 1e-12);
  }

  @Test
  void theGridIsGeometricAroundOne() {
    assertEquals(1.0, GRID.multiplier(0));
    assertEquals(2.0, GRID.multiplier(GRID.stepsPerDoubling()), 1e-12);
    assertEquals(0.5, GRID.multiplier(-GRID.stepsPerDoubling()), 1e-12);
    assertEquals(Math.pow(2, 1.0 / 8) - 1, GRID.resolution(), 1e-12);
  }

  @Test
  void aGridWithoutStepZeroIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new GoodputSearch(8, 4, 1, 10));
    assertThrows(IllegalArgumentException.class, () -> new GoodputSearch(0, 4, -8, 8));
    assertThrows(IllegalArgumentException.class, () -> new GoodputSearch(8, 0, -8, 8));
  }
}
