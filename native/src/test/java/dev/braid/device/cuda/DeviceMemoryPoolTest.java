package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeviceMemoryPoolTest {
  static final long BASE = 0x7f00_0000_0000L;

  @Test
  void blocksAreAlignedTo256AndRoundedUp() {
    DeviceMemoryPool pool = new DeviceMemoryPool(BASE, 1 << 20);
    long a = pool.allocate(4);
    long b = pool.allocate(260);
    long c = pool.allocate(256);
    assertEquals(BASE, a);
    assertEquals(BASE + 256, b);
    assertEquals(BASE + 768, c, "260 bytes take two 256-byte granules");
    assertEquals(1024, pool.usedBytes());
    assertEquals((1 << 20) - 1024, pool.freeBytes());
  }

  @Test
  void firstFitSplitsAFreeBlockAndReusesTheHole() {
    DeviceMemoryPool pool = new DeviceMemoryPool(BASE, 4096);
    long a = pool.allocate(1024);
    long b = pool.allocate(1024);
    pool.free(a);
    long c = pool.allocate(256);
    assertEquals(a, c, "the first hole that fits is used");
    long d = pool.allocate(512);
    assertEquals(a + 256, d, "the rest of the split hole comes next");
    assertTrue(pool.isAllocated(b));
  }

  @Test
  void freeCoalescesWithBothNeighbours() {
    DeviceMemoryPool pool = new DeviceMemoryPool(BASE, 4096);
    long a = pool.allocate(1024);
    long b = pool.allocate(1024);
    long c = pool.allocate(1024);
    pool.free(a);
    pool.free(c);
    assertEquals(2, pool.freeBlockCount(), "a's hole, and c merged with the tail");
    pool.free(b);
    assertEquals(1, pool.freeBlockCount(), "b joins its free neighbours on both sides");
    assertEquals(4096, pool.largestFreeBlock());
    assertEquals(BASE, pool.allocate(4096), "the whole region is one block again");
  }

  @Test
  void exhaustionIsOutOfMemoryNamingRequestedAndFreeBytes() {
    DeviceMemoryPool pool = new DeviceMemoryPool(BASE, 4096);
    long a = pool.allocate(1024);
    pool.allocate(1024);
    pool.free(a);
    DeviceException e = assertThrows(DeviceException.class, () -> pool.allocate(3000));
    assertEquals(DeviceException.Reason.OUT_OF_MEMORY, e.reason());
    assertTrue(e.getMessage().contains("cannot allocate 3000 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("3072 of 4096 bytes free"), e.getMessage());
    assertTrue(e.getMessage().contains("largest free block 2048"), e.getMessage());
  }

  @Test
  void doubleFreeAndForeignAddressesAreRefused() {
    DeviceMemoryPool pool = new DeviceMemoryPool(BASE, 4096);
    long a = pool.allocate(100);
    pool.free(a);
    DeviceException e = assertThrows(DeviceException.class, () -> pool.free(a));
    assertTrue(e.getMessage().contains("freed twice"), e.getMessage());
    assertThrows(DeviceException.class, () -> pool.free(BASE + 8));
    assertFalse(pool.isAllocated(a));
    assertEquals(0, pool.usedBytes());
  }

  @Test
  void randomAllocationsNeverOverlapAndAllFreedLeavesOneBlock() {
    DeviceMemoryPool pool = new DeviceMemoryPool(BASE, 1 << 22);
    Random rnd = new Random(7);
    List<long[]> live = new ArrayList<>();
    for (int step = 0; step < 5000; step++) {
      if (!live.isEmpty() && (rnd.nextInt(3) == 0 || pool.freeBytes() < (64 << 10))) {
        long[] blk = live.remove(rnd.nextInt(live.size()));
        pool.free(blk[0]);
      } else {
        long size = 4 + 4L * rnd.nextInt(16 << 10);
        try {
          long at = pool.allocate(size);
          assertEquals(0, at % DeviceMemoryPool.ALIGNMENT);
          for (long[] o : live) {
            assertTrue(at + size <= o[0] || o[0] + o[1] <= at, "overlap at step " + step);
          }
          live.add(new long[] {at, size});
        } catch (DeviceException oom) {
          assertEquals(DeviceException.Reason.OUT_OF_MEMORY, oom.reason());
        }
      }
      assertEquals(pool.capacityBytes(), pool.usedBytes() + pool.freeBytes());
    }
    for (long[] blk : live) {
      pool.free(blk[0]);
    }
    assertEquals(1, pool.freeBlockCount());
    assertEquals(pool.capacityBytes(), pool.largestFreeBlock());
  }
}
