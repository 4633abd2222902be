package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_gemm_grouped_f32}: one {@code BraidGemmProblem} (braid_abi.h,
 * {@value #PROBLEM_BYTES} bytes, little-endian) per batch entry of every {@link Gemm} of a
 * {@link GroupedLaunch}, in launch order, with each entry's first tile in the grid's flattened
 * tile space. Batch entry b of a Gemm becomes its own problem: A at the slice's address plus
 * {@code aOffsets[b]} floats, B likewise, Y at {@code b * m * n} floats; C shared.
 *
 * <p>Built on the host, pure Java: the CUDA device uploads {@link #bytes()} and launches
 * {@link #totalTiles()} blocks of 256 threads with (table address, {@link #count()}).
 */
public final class GroupedGemmTable extends TiledProblemTable {
  /** sizeof(BraidGemmProblem). */
  public static final int PROBLEM_BYTES = 88;
  public static final int OFF_A = 0, OFF_B = 8, OFF_C = 16, OFF_Y = 24, OFF_M = 32, OFF_N = 36, OFF_K = 40,
      OFF_LDA = 44, OFF_LDB = 48, OFF_LDC = 52, OFF_TRANS_A = 56, OFF_TRANS_B = 60, OFF_ALPHA = 64,
      OFF_BETA = 68, OFF_BIAS_MODE = 72, OFF_FIRST_TILE = 76, OFF_TILES_N = 80, OFF_PAD0 = 84;
  /** Tile edge of the tiled kernels (BRAID_TILE). */
  public static final int TILE = 64;
  /** Skinny kernel: the largest short side, long positions per block (BRAID_SKINNY_MAX, _SPAN). */
  public static final int SKINNY_MAX = 16, SKINNY_SPAN = 32;

  private GroupedGemmTable(ByteBuffer bytes, TileMap tiles) {
    super(bytes, tiles);
  }

  /**
   * The table for {@code launch} (all Gemm problems); {@code address} gives the device address of
   * a slice's first byte.
   */
  public static GroupedGemmTable of(GroupedLaunch launch, ToLongFunction<BufferSlice> address) {
    return of(launch.problems(), address);
  }

  /** The table of {@code braid_gemm_grouped_f32} for {@code problems}, all Gemm, in order: 64 x 64 tiles. */
  public static GroupedGemmTable of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    return build(problems, address, GroupedGemmTable::tilesOf);
  }

  /**
   * The table of {@code braid_gemm_skinny_grouped_f32} for {@code problems}, all Gemm with
   * {@code min(M, N) <= 16}: the same entries, with firstTile counting skinny blocks of 32 long
   * positions ({@link #skinnyBlocksOf}).
   */
  public static GroupedGemmTable skinny(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    for (int i = 0; i < problems.size(); i++) {
      Gemm g = (Gemm) problems.get(i).kernel();
      if (Math.min(g.m(), g.n()) > SKINNY_MAX) {
        throw new IllegalArgumentException("grouped skinny problem " + i + " (" + g + ") has min(M, N) = "
            + Math.min(g.m(), g.n()) + "; the skinny kernel takes at most " + SKINNY_MAX);
      }
    }
    return build(problems, address, GroupedGemmTable::skinnyBlocksOf);
  }

  /** Blocks of one batch entry on the skinny kernel: ceil(max(m, n) / 32). */
  public static long skinnyBlocksOf(Gemm g) {
    return TileMap.ceilDiv(Math.max(g.m(), g.n()), SKINNY_SPAN);
  }

  private static GroupedGemmTable build(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address,
      ToLongFunction<Gemm> blocksOf) {
    List<long[]> rows = new ArrayList<>();
    List<Gemm> gemms = new ArrayList<>();
    List<long[]> ptrs = new ArrayList<>();
    for (KernelLaunch kl : problems) {
      Gemm g = (Gemm) kl.kernel();
      List<BufferSlice> args = kl.args();
      long a = address.applyAsLong(args.get(0)), b = address.applyAsLong(args.get(1));
      long c = g.bias() == GemmBias.NONE ? 0 : address.applyAsLong(args.get(2));
      long y = address.applyAsLong(args.get(args.size() - 1));
      for (int e = 0; e < g.batch(); e++) {
        gemms.add(g);
        ptrs.add(new long[] {a + 4L * g.aOffset(e), b + 4L * g.bOffset(e), c, y + 4L * e * g.m() * g.n()});
        rows.add(new long[] {blocksOf.applyAsLong(g)});
      }
    }
    long[] counts = new long[rows.size()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = rows.get(i)[0];
    }
    TileMap map = new TileMap(counts);
    ByteBuffer buf = ByteBuffer.allocate(PROBLEM_BYTES * counts.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < counts.length; i++) {
      long[] p = ptrs.get(i);
      put(buf, i * PROBLEM_BYTES, gemms.get(i), p[0], p[1], p[2], p[3], map.firstTile(i));
    }
    return new GroupedGemmTable(buf, map);
  }

  /** Tiles of one batch entry: ceil(m / 64) * ceil(n / 64). */
  public static long tilesOf(Gemm g) {
    return TileMap.ceilDiv(g.m(), TILE) * TileMap.ceilDiv(g.n(), TILE);
  }

  /**
   * Writes one BraidGemmProblem at {@code at}: also the by-value parameter of the single-problem
   * kernels (braid_gemm_f32, braid_gemm_skinny_f32, braid_gemm_bf16) with firstTile 0.
   */
  public static void put(ByteBuffer buf, int at, Gemm g, long a, long b, long c, long y, int firstTile) {
    buf.putLong(at + OFF_A, a).putLong(at + OFF_B, b).putLong(at + OFF_C, c).putLong(at + OFF_Y, y);
    buf.putInt(at + OFF_M, g.m()).putInt(at + OFF_N, g.n()).putInt(at + OFF_K, g.k());
    buf.putInt(at + OFF_LDA, g.transA() ? g.m() : g.k());
    buf.putInt(at + OFF_LDB, g.transB() ? g.k() : g.n());
    buf.putInt(at + OFF_LDC, g.n());
    buf.putInt(at + OFF_TRANS_A, g.transA() ? 1 : 0).putInt(at + OFF_TRANS_B, g.transB() ? 1 : 0);
    buf.putFloat(at + OFF_ALPHA, g.alpha()).putFloat(at + OFF_BETA, g.beta());
    buf.putInt(at + OFF_BIAS_MODE, g.bias().ordinal());
    buf.putInt(at + OFF_FIRST_TILE, firstTile);
    buf.putInt(at + OFF_TILES_N, (int) TileMap.ceilDiv(g.n(), TILE));
    buf.putInt(at + OFF_PAD0, 0);
  }
}
