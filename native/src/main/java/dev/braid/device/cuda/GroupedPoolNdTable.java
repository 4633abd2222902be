package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.PoolNd;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_pool_nd_grouped_f32}: one {@code BraidPoolNdProblem}
 * (braid_abi.h, {@value #PROBLEM_BYTES} bytes) per {@link PoolNd} of any kind (MAX, AVERAGE, LP,
 * MAX_INDEX) over 1 to 3 spatial axes, its geometry in the BraidShape {@code braid_pool_nd_f32}
 * takes ({@link ShapeStruct#poolNd}). One output per thread, {@value #THREADS} per block, each on
 * the single kernel's body, so outputs equal the single launch's bit for bit.
 */
public final class GroupedPoolNdTable {
  public static final String FUNCTION = "braid_pool_nd_grouped_f32";
  /** sizeof(BraidPoolNdProblem). */
  public static final int PROBLEM_BYTES = 184;
  public static final int OFF_X = 0, OFF_Y = 8, OFF_N = 16, OFF_KIND = 24, OFF_COUNT_INCLUDE_PAD = 28, OFF_P = 32,
      OFF_COLUMN_MAJOR = 36, OFF_FIRST_BLOCK = 40, OFF_PAD0 = 44, OFF_SHAPE = 48;
  public static final int THREADS = 256;

  private GroupedPoolNdTable() {}

  /** Blocks of one problem; 0 when it has no output. */
  public static long blocksOf(Kernel k) {
    if (!(k instanceof PoolNd p)) {
      throw new IllegalArgumentException("not a PoolNd: " + k);
    }
    return TileMap.ceilDiv(p.outputElements(), THREADS);
  }

  /** The table for {@code problems} (PoolNd only); empty when none has an output. */
  public static Optional<ProblemTable> of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    for (int i = 0; i < problems.size(); i++) {
      Kernel k = problems.get(i).kernel();
      if (!(k instanceof PoolNd)) {
        throw new IllegalArgumentException("grouped PoolNd problem " + i + ": expected PoolNd, got " + k);
      }
    }
    return ProblemTable.build(FUNCTION, PROBLEM_BYTES, THREADS, problems, address, GroupedPoolNdTable::blocksOf,
        GroupedPoolNdTable::put);
  }

  private static void put(ByteBuffer buf, int at, ProblemTable.Entry kl, int firstBlock) {
    PoolNd p = (PoolNd) kl.kernel();
    buf.putLong(at + OFF_X, kl.arg(0)).putLong(at + OFF_Y, kl.arg(1)).putLong(at + OFF_N, p.outputElements());
    buf.putInt(at + OFF_KIND, p.kind().ordinal()).putInt(at + OFF_COUNT_INCLUDE_PAD, p.countIncludePad() ? 1 : 0);
    buf.putInt(at + OFF_P, p.p()).putInt(at + OFF_COLUMN_MAJOR, p.columnMajor() ? 1 : 0);
    buf.putInt(at + OFF_FIRST_BLOCK, firstBlock).put(at + OFF_SHAPE, ShapeStruct.poolNd(p));
  }
}
