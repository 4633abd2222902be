package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Conv2d;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_conv2d_grouped_f32}: one {@code BraidConvProblem}
 * (braid_abi.h, {@value #PROBLEM_BYTES} bytes, little-endian) per {@link Conv2d} of a
 * {@link GroupedLaunch}, in launch order. Problem p owns {@code groups * tilesM * tilesN} tiles,
 * tilesM over output pixels {@code n * outH * outW}, tilesN over output channels per group.
 * Depthwise convolutions have their own kernel and are refused here.
 */
public final class GroupedConvTable extends TiledProblemTable {
  /** sizeof(BraidConvProblem). */
  public static final int PROBLEM_BYTES = 128;
  public static final int OFF_X = 0, OFF_W = 8, OFF_BIAS = 16, OFF_Y = 24, OFF_N = 32, OFF_C = 36, OFF_H = 40,
      OFF_W_IN = 44, OFF_K = 48, OFF_KH = 52, OFF_KW = 56, OFF_STRIDE_H = 60, OFF_STRIDE_W = 64,
      OFF_PAD_TOP = 68, OFF_PAD_LEFT = 72, OFF_DILATION_H = 76, OFF_DILATION_W = 80, OFF_GROUPS = 84,
      OFF_OUT_H = 88, OFF_OUT_W = 92, OFF_ACT_MIN = 96, OFF_ACT_MAX = 100, OFF_HAS_BIAS = 104,
      OFF_FIRST_TILE = 108, OFF_TILES_M = 112, OFF_TILES_N = 116, OFF_PAD0 = 120;

  private GroupedConvTable(ByteBuffer bytes, TileMap tiles) {
    super(bytes, tiles);
  }

  public static GroupedConvTable of(GroupedLaunch launch, ToLongFunction<BufferSlice> address) {
    return of(launch.problems(), address);
  }

  /** The table for {@code problems}, all Conv2d and none depthwise, in order. */
  public static GroupedConvTable of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    return of(problems, address, 0);
  }

  /**
   * The table for {@code problems} as the second table of {@code braid_tiled_grouped_f32}: each
   * entry's firstTile counts from {@code firstTile} (the GEMM table's tiles, which come first in
   * the grid); {@link #tileMap()} still counts from 0.
   */
  public static GroupedConvTable of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address, int firstTile) {
    if (firstTile < 0) {
      throw new IllegalArgumentException("firstTile " + firstTile + " is negative");
    }
    long[] counts = new long[problems.size()];
    for (int i = 0; i < counts.length; i++) {
      Conv2d c = (Conv2d) problems.get(i).kernel();
      if (c.isDepthwise()) {
        throw new IllegalArgumentException("grouped problem " + i + " is depthwise (" + c
            + "); braid_conv2d_depthwise_f32 runs it, not the implicit GEMM");
      }
      counts[i] = tilesOf(c);
    }
    TileMap map = new TileMap(counts);
    ByteBuffer buf = ByteBuffer.allocate(PROBLEM_BYTES * counts.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < counts.length; i++) {
      KernelLaunch kl = problems.get(i);
      Conv2d c = (Conv2d) kl.kernel();
      List<BufferSlice> args = kl.args();
      put(buf, i * PROBLEM_BYTES, c, address.applyAsLong(args.get(0)), address.applyAsLong(args.get(1)),
          c.hasBias() ? address.applyAsLong(args.get(2)) : 0, address.applyAsLong(args.get(args.size() - 1)),
          Math.addExact(firstTile, map.firstTile(i)));
    }
    return new GroupedConvTable(buf, map);
  }

  /** Pixel tiles: ceil(n * outH * outW / 64). */
  public static long tilesM(Conv2d c) {
    return TileMap.ceilDiv((long) c.n() * c.outH() * c.outW(), GroupedGemmTable.TILE);
  }

  /** Channel tiles per group: ceil(k / groups / 64). */
  public static long tilesN(Conv2d c) {
    return TileMap.ceilDiv(c.k() / c.groups(), GroupedGemmTable.TILE);
  }

  public static long tilesOf(Conv2d c) {
    return c.groups() * tilesM(c) * tilesN(c);
  }

  /** Writes one BraidConvProblem at {@code at}; also the by-value parameter of braid_conv2d_f32/_bf16/_depthwise_f32. */
  public static void put(ByteBuffer buf, int at, Conv2d c, long x, long w, long bias, long y, int firstTile) {
    buf.putLong(at + OFF_X, x).putLong(at + OFF_W, w).putLong(at + OFF_BIAS, bias).putLong(at + OFF_Y, y);
    buf.putInt(at + OFF_N, c.n()).putInt(at + OFF_C, c.c()).putInt(at + OFF_H, c.h()).putInt(at + OFF_W_IN, c.w());
    buf.putInt(at + OFF_K, c.k()).putInt(at + OFF_KH, c.kernelH()).putInt(at + OFF_KW, c.kernelW());
    buf.putInt(at + OFF_STRIDE_H, c.strideH()).putInt(at + OFF_STRIDE_W, c.strideW());
    buf.putInt(at + OFF_PAD_TOP, c.padTop()).putInt(at + OFF_PAD_LEFT, c.padLeft());
    buf.putInt(at + OFF_DILATION_H, c.dilationH()).putInt(at + OFF_DILATION_W, c.dilationW());
    buf.putInt(at + OFF_GROUPS, c.groups()).putInt(at + OFF_OUT_H, c.outH()).putInt(at + OFF_OUT_W, c.outW());
    buf.putFloat(at + OFF_ACT_MIN, c.activation().min()).putFloat(at + OFF_ACT_MAX, c.activation().max());
    buf.putInt(at + OFF_HAS_BIAS, c.hasBias() ? 1 : 0).putInt(at + OFF_FIRST_TILE, firstTile);
    buf.putInt(at + OFF_TILES_M, (int) tilesM(c)).putInt(at + OFF_TILES_N, (int) tilesN(c));
    buf.putLong(at + OFF_PAD0, 0);
  }
}
