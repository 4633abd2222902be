package dev.braid.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ManualNanoClockTest {
  @Test
  void movesOnlyForward() {
    ManualNanoClock c = new ManualNanoClock(100);
    c.advance(Duration.ofNanos(5));
    c.set(200);
    assertEquals(200, c.nanoTime());
    assertThrows(IllegalArgumentException.class, () -> c.advance(-1));
    assertThrows(IllegalArgumentException.class, () -> c.set(199));
    assertEquals(200, c.nanoTime());
  }
}
