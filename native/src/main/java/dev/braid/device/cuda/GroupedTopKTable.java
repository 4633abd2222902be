package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.TopK;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_topk_grouped_f32}: one {@code BraidTopKProblem} (braid_abi.h,
 * {@value #PROBLEM_BYTES} bytes) per {@link TopK}, any outer, axis, inner, k, largest and output
 * (values or indices) per entry. One thread per fibre, {@value #THREADS} fibres per block over the
 * union of the problems' fibres; each fibre runs the body of {@code braid_topk_f32}, so its picks
 * are those of the single launch bit for bit. A TopK with k = 0 or no fibre has no work and is left
 * out, as its single launch issues no call.
 */
public final class GroupedTopKTable {
  public static final String FUNCTION = "braid_topk_grouped_f32";
  /** sizeof(BraidTopKProblem). */
  public static final int PROBLEM_BYTES = 48;
  public static final int OFF_X = 0, OFF_Y = 8, OFF_FIBRES = 16, OFF_AXIS = 24, OFF_INNER = 28, OFF_K = 32,
      OFF_LARGEST = 36, OFF_INDICES = 40, OFF_FIRST_BLOCK = 44;
  public static final int THREADS = 256;

  private GroupedTopKTable() {}

  /** Blocks of one problem; 0 when it has no work. */
  public static long blocksOf(Kernel k) {
    if (!(k instanceof TopK t)) {
      throw new IllegalArgumentException("not a TopK: " + k);
    }
    return t.k() == 0 ? 0 : TileMap.ceilDiv((long) t.outer() * t.inner(), THREADS);
  }

  /** The table for {@code problems} (TopK only); empty when none has work. */
  public static Optional<ProblemTable> of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    for (int i = 0; i < problems.size(); i++) {
      Kernel k = problems.get(i).kernel();
      if (!(k instanceof TopK)) {
        throw new IllegalArgumentException("grouped TopK problem " + i + ": expected TopK, got " + k);
      }
    }
    return ProblemTable.build(FUNCTION, PROBLEM_BYTES, THREADS, problems, address, GroupedTopKTable::blocksOf,
        GroupedTopKTable::put);
  }

  private static void put(ByteBuffer buf, int at, ProblemTable.Entry kl, int firstBlock) {
    TopK t = (TopK) kl.kernel();
    buf.putLong(at + OFF_X, kl.arg(0)).putLong(at + OFF_Y, kl.arg(1));
    buf.putLong(at + OFF_FIBRES, (long) t.outer() * t.inner()).putInt(at + OFF_AXIS, t.axis());
    buf.putInt(at + OFF_INNER, t.inner()).putInt(at + OFF_K, t.k()).putInt(at + OFF_LARGEST, t.largest() ? 1 : 0);
    buf.putInt(at + OFF_INDICES, t.indices() ? 1 : 0).putInt(at + OFF_FIRST_BLOCK, firstBlock);
  }
}
