package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Conv2d;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_conv2d_depthwise_grouped_f32}: one {@code BraidConvProblem}
 * ({@link GroupedConvTable#PROBLEM_BYTES} bytes, the same layout) per depthwise {@link Conv2d},
 * with {@code firstTile} = the problem's first block, {@code tilesM} = its blocks
 * ({@code ceil(n * k * outH * outW / 256)}, one output per thread) and {@code tilesN} = 1. The
 * kernel reads window, stride, dilation, pads and channel multiplier from each entry, so depthwise
 * convolutions of any of them share one launch.
 */
public final class GroupedDepthwiseTable {
  public static final String FUNCTION = "braid_conv2d_depthwise_grouped_f32";
  /** One output per thread, 256 threads per block (BRAID_EW_THREADS). */
  public static final int THREADS = 256;

  private GroupedDepthwiseTable() {}

  /** Blocks of one problem: ceil(n * k * outH * outW / 256); 0 when it has no output. */
  public static long blocksOf(Conv2d c) {
    return TileMap.ceilDiv((long) c.n() * c.k() * c.outH() * c.outW(), THREADS);
  }

  /** The table for {@code problems}, all depthwise Conv2d; empty when none has an output. */
  public static Optional<ProblemTable> of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    for (int i = 0; i < problems.size(); i++) {
      if (!(problems.get(i).kernel() instanceof Conv2d c && c.isDepthwise())) {
        throw new IllegalArgumentException("grouped depthwise problem " + i + ": expected a depthwise Conv2d, got "
            + problems.get(i).kernel());
      }
    }
    return ProblemTable.build(FUNCTION, GroupedConvTable.PROBLEM_BYTES, THREADS, problems, address,
        k -> blocksOf((Conv2d) k), GroupedDepthwiseTable::put);
  }

  private static void put(ByteBuffer buf, int at, ProblemTable.Entry p, int firstBlock) {
    Conv2d c = (Conv2d) p.kernel();
    GroupedConvTable.put(buf, at, c, p.arg(0), p.arg(1), c.hasBias() ? p.arg(2) : 0, p.output(), firstBlock);
    buf.putInt(at + GroupedConvTable.OFF_TILES_M, (int) blocksOf(c)).putInt(at + GroupedConvTable.OFF_TILES_N, 1);
  }
}
