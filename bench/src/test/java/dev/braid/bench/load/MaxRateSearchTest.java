package dev.braid.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MaxRateSearchTest {
  @Test
  void findsTheCapacityWithinTheResolutionAndNeverReportsAFailingRate() {
    for (double capacity : new double[] {7, 10, 37.5, 100, 333, 999}) {
      MaxRateSearch.Result r = MaxRateSearch.search(10, 10_000, 0.05, rate -> rate <= capacity);
      // Below the first probe too: it then bisects between 0 and the first probe.
      assertTrue(r.maxRate() <= capacity, capacity + " -> " + r.maxRate());
      assertTrue(r.maxRate() >= capacity * 0.95 - 1e-9, capacity + " -> " + r.maxRate());
      assertFalse(r.cappedAtMax());
      for (MaxRateSearch.Probe p : r.probes()) {
        assertEquals(p.rate() <= capacity, p.passed(), "each probe records its outcome");
      }
    }
  }

  @Test
  void doublesThenBisects() {
    MaxRateSearch.Result r = MaxRateSearch.search(10, 10_000, 0.1, rate -> rate <= 50);
    List<Double> rates = r.probes().stream().map(MaxRateSearch.Probe::rate).toList();
    assertEquals(List.of(10.0, 20.0, 40.0, 80.0, 60.0, 50.0, 55.0), rates);
    assertEquals(50, r.maxRate());
  }

  @Test
  void aServerThatMeetsNothingGivesZero() {
    MaxRateSearch.Result r = MaxRateSearch.search(10, 100, 0.05, rate -> false);
    assertEquals(0, r.maxRate());
    assertTrue(r.probes().stream().noneMatch(MaxRateSearch.Probe::passed));
  }

  @Test
  void aServerFasterThanTheCapSaysSo() {
    MaxRateSearch.Result r = MaxRateSearch.search(10, 100, 0.05, rate -> true);
    assertEquals(100, r.maxRate());
    assertTrue(r.cappedAtMax());
    assertEquals(List.of(10.0, 20.0, 40.0, 80.0, 100.0), r.probes().stream().map(MaxRateSearch.Probe::rate).toList());
  }

  @Test
  void sweepsListEveryRateFromStartToEndInclusive() {
    assertEquals(List.of(10.0, 20.0, 30.0), MaxRateSearch.sweep("--rate-range", "10:30:10"));
    assertEquals(List.of(0.5, 0.6, 0.7), MaxRateSearch.sweep("--rate-range", "0.5:0.7:0.1")
        .stream().map(v -> Math.round(v * 10) / 10.0).toList());
    assertEquals(List.of(5.0), MaxRateSearch.sweep("--rate-range", "5:9:10"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MaxRateSearch.sweep("--rate-range", "10:5:1"));
    assertEquals("--rate-range: expected 0 < START <= END and STEP > 0, got '10:5:1'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MaxRateSearch.sweep("--rate-range", "10-20"));
    assertTrue(e.getMessage().startsWith("--rate-range: expected START:END:STEP"), e.getMessage());
  }
}
