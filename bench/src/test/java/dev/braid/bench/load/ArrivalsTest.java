package dev.braid.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ArrivalsTest {
  @Test
  void constantArrivalsAreExactlyOneOverRateApartWithoutDrift() {
    Arrivals a = new Arrivals(Arrivals.Distribution.CONSTANT, 3, 1);
    assertEquals(0, a.nextOffsetNanos());
    assertEquals(333_333_333, a.nextOffsetNanos());
    assertEquals(666_666_667, a.nextOffsetNanos());
    for (int i = 3; i < 3_000; i++) {
      a.nextOffsetNanos();
    }
    assertEquals(1_000_000_000_000L, a.nextOffsetNanos(), "the 3000th arrival at exactly 1000 s");
  }

  @Test
  void poissonArrivalsHaveTheRateAsMeanAndExponentialGaps() {
    double rate = 200;
    Arrivals a = new Arrivals(Arrivals.Distribution.POISSON, rate, 42);
    int n = 200_000;
    long previous = a.nextOffsetNanos();
    assertEquals(0, previous);
    long longGaps = 0;
    for (int i = 1; i < n; i++) {
      long t = a.nextOffsetNanos();
      assertTrue(t >= previous, "offsets never decrease");
      if (t - previous > 1e9 / rate) {
        longGaps++;
      }
      previous = t;
    }
    double meanGap = previous / (double) (n - 1);
    assertEquals(1e9 / rate, meanGap, 0.01 * 1e9 / rate, "mean gap within 1% of 1/rate");
    // For exponential gaps P(gap > mean) = 1/e = 0.368; constant gaps would give 0.
    assertEquals(Math.exp(-1), longGaps / (double) (n - 1), 0.01);
  }

  @Test
  void theSameSeedGivesTheSameArrivals() {
    Arrivals a = new Arrivals(Arrivals.Distribution.POISSON, 50, 7);
    Arrivals b = new Arrivals(Arrivals.Distribution.POISSON, 50, 7);
    for (int i = 0; i < 1000; i++) {
      assertEquals(a.nextOffsetNanos(), b.nextOffsetNanos());
    }
  }

  @Test
  void badRatesAndDistributionsAreRefusedNamingTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Arrivals(Arrivals.Distribution.CONSTANT, 0, 1));
    assertTrue(e.getMessage().contains("got 0.0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Arrivals.Distribution.parse("--distribution", "uniform"));
    assertEquals("--distribution: expected poisson or constant, got 'uniform'", e.getMessage());
    assertEquals(Arrivals.Distribution.POISSON, Arrivals.Distribution.parse("--distribution", "Poisson"));
  }
}
