package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Pool2d;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_pool_grouped_f32}: one {@code BraidPoolProblem} (braid_abi.h,
 * {@value #PROBLEM_BYTES} bytes) per {@link Pool2d} (max or average, any window, stride, pads,
 * dilation, count_include_pad) or {@link GlobalAveragePool}. Pool2d: one output per thread, 256 per
 * block; GlobalAveragePool: mode {@link #MODE_GLOBAL_AVERAGE}, rows in {@code c}, {@code n = 1,
 * h = 1, w = spatial, outH = outW = 1}, one warp per row, 8 rows per block.
 */
public final class GroupedPoolTable {
  public static final String FUNCTION = "braid_pool_grouped_f32";
  /** sizeof(BraidPoolProblem). */
  public static final int PROBLEM_BYTES = 96;
  public static final int OFF_X = 0, OFF_Y = 8, OFF_MODE = 16, OFF_N = 20, OFF_C = 24, OFF_H = 28, OFF_W = 32,
      OFF_KH = 36, OFF_KW = 40, OFF_STRIDE_H = 44, OFF_STRIDE_W = 48, OFF_PAD_TOP = 52, OFF_PAD_LEFT = 56,
      OFF_PAD_BOTTOM = 60, OFF_PAD_RIGHT = 64, OFF_DILATION_H = 68, OFF_DILATION_W = 72, OFF_OUT_H = 76,
      OFF_OUT_W = 80, OFF_COUNT_INCLUDE_PAD = 84, OFF_FIRST_BLOCK = 88, OFF_PAD0 = 92;
  /** BRAID_POOL_GLOBAL_AVERAGE; MAX and AVERAGE are PoolMode's ordinals 0 and 1. */
  public static final int MODE_GLOBAL_AVERAGE = 2;
  public static final int THREADS = 256;
  /** Global average pooling: one warp per row. */
  public static final int GAP_ROWS_PER_BLOCK = THREADS / 32;

  private GroupedPoolTable() {}

  /** Blocks of one problem; 0 when it has no output. */
  public static long blocksOf(Kernel k) {
    if (k instanceof Pool2d p) {
      return TileMap.ceilDiv((long) p.n() * p.c() * p.outH() * p.outW(), THREADS);
    }
    if (k instanceof GlobalAveragePool g) {
      return TileMap.ceilDiv(g.channels(), GAP_ROWS_PER_BLOCK);
    }
    throw new IllegalArgumentException("not a pooling kernel: " + k);
  }

  /** The table for {@code problems} (Pool2d, GlobalAveragePool); empty when none has an output. */
  public static Optional<ProblemTable> of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    for (int i = 0; i < problems.size(); i++) {
      Kernel k = problems.get(i).kernel();
      if (!(k instanceof Pool2d || k instanceof GlobalAveragePool)) {
        throw new IllegalArgumentException("grouped pool problem " + i + ": expected Pool2d or GlobalAveragePool, got " + k);
      }
    }
    return ProblemTable.build(FUNCTION, PROBLEM_BYTES, THREADS, problems, address, GroupedPoolTable::blocksOf,
        GroupedPoolTable::put);
  }

  private static void put(ByteBuffer buf, int at, ProblemTable.Entry kl, int firstBlock) {
    buf.putLong(at + OFF_X, kl.arg(0)).putLong(at + OFF_Y, kl.arg(1));
    buf.putInt(at + OFF_FIRST_BLOCK, firstBlock);
    if (kl.kernel() instanceof Pool2d p) {
      buf.putInt(at + OFF_MODE, p.mode().ordinal()).putInt(at + OFF_N, p.n()).putInt(at + OFF_C, p.c());
      buf.putInt(at + OFF_H, p.h()).putInt(at + OFF_W, p.w()).putInt(at + OFF_KH, p.kernelH());
      buf.putInt(at + OFF_KW, p.kernelW()).putInt(at + OFF_STRIDE_H, p.strideH()).putInt(at + OFF_STRIDE_W, p.strideW());
      buf.putInt(at + OFF_PAD_TOP, p.padTop()).putInt(at + OFF_PAD_LEFT, p.padLeft());
      buf.putInt(at + OFF_PAD_BOTTOM, p.padBottom()).putInt(at + OFF_PAD_RIGHT, p.padRight());
      buf.putInt(at + OFF_DILATION_H, p.dilationH()).putInt(at + OFF_DILATION_W, p.dilationW());
      buf.putInt(at + OFF_OUT_H, p.outH()).putInt(at + OFF_OUT_W, p.outW());
      buf.putInt(at + OFF_COUNT_INCLUDE_PAD, p.countIncludePad() ? 1 : 0);
    } else {
      GlobalAveragePool g = (GlobalAveragePool) kl.kernel();
      buf.putInt(at + OFF_MODE, MODE_GLOBAL_AVERAGE).putInt(at + OFF_N, 1).putInt(at + OFF_C, g.channels());
      buf.putInt(at + OFF_H, 1).putInt(at + OFF_W, g.spatial()).putInt(at + OFF_OUT_H, 1).putInt(at + OFF_OUT_W, 1);
    }
  }
}
