package dev.braid.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.time.ManualNanoClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NodeFenceTest {
  private final ManualNanoClock clock = new ManualNanoClock();
  private final NodeFence fence = new NodeFence(clock);

  @Test
  void aFenceNeverWatchedStaysOpenWhateverTheTime() {
    clock.advance(Duration.ofDays(1));
    assertTrue(fence.isOpen());
    assertEquals("", fence.reason());
  }

  @Test
  void ticksWithinTheAllowanceKeepItOpen() {
    fence.judgeFrom(Duration.ofSeconds(3));
    for (int i = 0; i < 100; i++) {
      clock.advance(Duration.ofMillis(100));
      assertNull(fence.tick());
    }
    clock.advance(Duration.ofMillis(2900)); // a pause just within the allowance
    assertTrue(fence.isOpen());
    assertNull(fence.tick());
    assertTrue(fence.isOpen());
  }

  @Test
  void aReaderSeesItClosedRightAfterALongPauseBeforeTheWatchTicksAndTheTickLatchesIt() {
    fence.judgeFrom(Duration.ofSeconds(3));
    clock.advance(Duration.ofSeconds(12)); // SIGSTOP for 12 s, then SIGCONT: nothing has ticked yet
    assertFalse(fence.isOpen(), "closed for a reader before the watch thread runs again");
    String why = fence.tick();
    assertTrue(why != null && why.contains("paused for 12.0 s"), why);
    clock.advance(Duration.ofMillis(100));
    assertNull(fence.tick(), "reported once");
    assertFalse(fence.isOpen(), "latched: a fresh stamp does not open it again");
    assertEquals(why, fence.reason());
  }

  @Test
  void closingForAnotherReasonIsFinalAndReportedOnce() {
    assertTrue(fence.close("this node was downed"));
    assertFalse(fence.close("again"));
    assertFalse(fence.isOpen());
    assertEquals("this node was downed", fence.reason());
  }

  @Test
  void anAllowanceShorterThanFiveTicksIsRefusedNamingTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> fence.watch(Duration.ofMillis(200), why -> { }));
    assertTrue(e.getMessage().contains("PT0.2S"), e.getMessage());
  }
}
