package dev.braid.bench.faults.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.braid.bench.faults.Scenario;
import dev.braid.bench.faults.Scenarios;
import org.junit.jupiter.api.Test;

/** bench faults finds both partition scenarios as services, so --scenario partition and all run them. */
class PartitionRegistrationTest {
  @Test
  void bothSplitsAreRegisteredUnderTheirNames() {
    Scenario three = Scenarios.get(Scenarios.PARTITION);
    Scenario two = Scenarios.get("partition-oldest-with-two");
    assertEquals(PartitionScenario.OldestWithThree.class, three.getClass());
    assertEquals(PartitionScenario.OldestWithTwo.class, two.getClass());
    assertFalse(three.benchOnly(), "the short form runs in tests and in --scenario all");
  }
}
