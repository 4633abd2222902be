package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import org.junit.jupiter.api.Test;

/**
 * Sizing of pinned staging buffers, over a fake allocator that hands out empty pointers: no
 * gigabytes are allocated, yet every capacity requested for a transfer over 1 GiB is checked. The
 * defect this guards against: a 1.5 GiB transfer was rounded up to one 2 GiB buffer, which JCuda
 * cannot wrap in a ByteBuffer (int capacity), so the copy failed with a NullPointerException.
 */
class PinnedStagingTest {
  private static final long GIB = 1L << 30;

  /** Records every allocation and free without allocating. */
  private static final class FakeHost implements PinnedStaging.HostAllocator {
    final List<Long> allocated = new ArrayList<>();
    int freed;

    @Override
    public Pointer allocate(long bytes) {
      allocated.add(bytes);
      return new Pointer();
    }

    @Override
    public void free(Pointer p) {
      freed++;
    }
  }

  @Test
  void aTransferOverOneGibIsStagedInBuffersAByteBufferCanHold() {
    for (long bytes : new long[] {GIB + 4, 3 * GIB / 2, 2 * GIB - 4, 2 * GIB, 4L * Integer.MAX_VALUE}) {
      FakeHost host = new FakeHost();
      PinnedStaging staging = new PinnedStaging(host);
      List<PinnedStaging.Pinned> bufs = staging.acquirePieces(bytes);
      List<PinnedStaging.Piece> pieces = PinnedStaging.pieces(bytes);
      assertEquals(pieces.size(), bufs.size());
      long covered = 0;
      for (int i = 0; i < pieces.size(); i++) {
        PinnedStaging.Piece p = pieces.get(i);
        assertEquals(covered, p.offset(), bytes + ": pieces are consecutive");
        assertTrue(bufs.get(i).capacity() >= p.bytes(), bytes + ": piece " + i + " fits its buffer");
        assertEquals(0, p.bytes() % 4, bytes + ": whole floats per piece");
        covered += p.bytes();
      }
      assertEquals(bytes, covered, "the pieces cover the transfer exactly");
      for (long cap : host.allocated) {
        assertTrue(cap <= Integer.MAX_VALUE, bytes + "-byte transfer asked for a " + cap + "-byte buffer, more than a"
            + " ByteBuffer holds");
      }
    }
  }

  @Test
  void aOneAndAHalfGibTransferTakesAOneGibAndAHalfGibBuffer() {
    FakeHost host = new FakeHost();
    new PinnedStaging(host).acquirePieces(3 * GIB / 2);
    assertEquals(List.of(GIB, GIB / 2), host.allocated);
  }

  @Test
  void aTransferThatFitsIsOnePieceOfItsPowerOfTwoClassAndIsRecycled() {
    FakeHost host = new FakeHost();
    PinnedStaging staging = new PinnedStaging(host);
    assertEquals(List.of(new PinnedStaging.Piece(0, 1000)), PinnedStaging.pieces(1000));
    assertEquals(List.of(new PinnedStaging.Piece(0, 0)), PinnedStaging.pieces(0));
    assertEquals(List.of(new PinnedStaging.Piece(0, GIB)), PinnedStaging.pieces(GIB));
    PinnedStaging.Pinned p = staging.acquire(5000);
    assertEquals(8192, p.capacity());
    staging.release(p);
    assertEquals(8192, staging.cachedBytes());
    assertEquals(p, staging.acquire(6000), "the cached buffer of the same class is reused");
    assertEquals(List.of(8192L), host.allocated);
    // a 1 GiB buffer is over the cache's 256 MiB: freed at release, not kept
    staging.release(staging.acquire(GIB));
    assertEquals(1, host.freed);
    String e = assertThrows(IllegalArgumentException.class, () -> staging.acquire(GIB + 4)).getMessage();
    assertTrue(e.contains("at most " + GIB + " bytes") && e.contains("got " + (GIB + 4)), e);
  }

  @Test
  void fillAndDrainMoveEachPiecesFloatsToTheirPlace() {
    float[] src = new float[10];
    for (int i = 0; i < src.length; i++) {
      src[i] = i + 0.5f;
    }
    // two pieces of a 40-byte transfer as if the largest piece were 24 bytes: the offsets are what is tested
    List<PinnedStaging.Piece> pieces = List.of(new PinnedStaging.Piece(0, 24), new PinnedStaging.Piece(24, 16));
    float[] out = new float[10];
    for (PinnedStaging.Piece p : pieces) {
      ByteBuffer buf = ByteBuffer.allocateDirect((int) p.bytes());
      PinnedStaging.fill(src, p, buf);
      PinnedStaging.drain(buf, p, out);
    }
    assertArrayEquals(src, out);
  }
}
