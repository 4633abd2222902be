package dev.braid.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ServingCountersTest {
  @Test
  void sloAttainmentIsCompletedInTimeOverAnsweredAndOneWhenNoneWas() {
    ServingCounters c = new ServingCounters(0);
    assertEquals(1.0, c.sloAttainment());
    c.onCompleted(true);
    c.onCompleted(false);
    c.onFailed();
    c.onCompleted(true);
    assertEquals(3, c.completed());
    assertEquals(1, c.failed());
    assertEquals(0.5, c.sloAttainment());
  }

  @Test
  void utilisationIsTheBusyShareOfEachWindowSinceTheLastClampedToOne() {
    ServingCounters c = new ServingCounters(1_000);
    assertEquals(0.25, c.utilisation(250, 2_000), 1e-12, "first window starts at the start");
    assertEquals(0.5, c.utilisation(750, 3_000), 1e-12, "only the delta counts");
    assertEquals(1.0, c.utilisation(2_000, 4_000), "overlapping launches cannot exceed 1");
    assertEquals(0.0, c.utilisation(2_000, 4_000), "no time passed");
    assertEquals(0.0, c.utilisation(2_000, 5_000), "idle window");
  }
}
