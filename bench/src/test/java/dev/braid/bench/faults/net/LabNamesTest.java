package dev.braid.bench.faults.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LabNamesTest {
  /** Linux's pid_max can be at most 2^22. */
  private static final long LARGEST_PID = 1L << 22;

  @Test
  void linkNamesFitLinuxsFifteenCharactersForTheLargestPidAndIndex() {
    LabNames n = new LabNames(LARGEST_PID, 35);
    for (String link : new String[] {n.hostLink(LabNames.MAX_NODES - 1), n.peerLink(LabNames.MAX_NODES - 1),
        n.mainBridge(), n.cutBridge()}) {
      assertTrue(link.length() <= 15, link + " is " + link.length() + " characters");
    }
    assertThrows(IllegalArgumentException.class, () -> n.hostLink(LabNames.MAX_NODES));
  }

  @Test
  void everyNameTellsItsOwnersPid() {
    LabNames n = new LabNames(LARGEST_PID, 35);
    for (String name : new String[] {n.hostLink(7), n.mainBridge(), n.namespace("gpu-1")}) {
      assertEquals(OptionalLong.of(LARGEST_PID), LabNames.owner(name), name);
    }
    assertEquals(OptionalLong.of(12345), LabNames.owner(new LabNames(12345, 0).cutBridge()));
  }

  @Test
  void namesOfOthersAreNotALabs() {
    for (String other : new String[] {"eth0", "lo", "docker0", "brd-", "brd-x", "bridge-1", "br-abc123-1"}) {
      assertTrue(LabNames.owner(other).isEmpty(), other);
    }
  }

  @Test
  void labsOfOneJvmHaveDistinctNamesAndNodeNamesAreChecked() {
    assertTrue(!new LabNames(99, 0).mainBridge().equals(new LabNames(99, 1).mainBridge()));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new LabNames(99, 0).namespace("a b"));
    assertTrue(e.getMessage().contains("'a b'"), e.getMessage());
  }
}
