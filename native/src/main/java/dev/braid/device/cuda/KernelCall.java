package dev.braid.device.cuda;

import java.util.List;

/**
 * One {@code cuLaunchKernel}: the function's name in the fatbin, grid and block dimensions,
 * dynamic shared memory (0 for every Braid kernel: their shared memory is static) and the
 * parameters in declaration order.
 *
 * <p>Invariants: every dimension is positive; {@code gridY, gridZ <= 65535}, {@code gridX <= 2^31-1}.
 */
public record KernelCall(String function, int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
    int sharedBytes, List<KernelParam> params) {
  public KernelCall {
    params = List.copyOf(params);
    if (gridX < 1 || gridY < 1 || gridZ < 1 || gridY > 65535 || gridZ > 65535) {
      throw new IllegalArgumentException(function + ": grid (" + gridX + ", " + gridY + ", " + gridZ + ") out of range");
    }
    if (blockX < 1 || blockY < 1 || blockZ < 1 || (long) blockX * blockY * blockZ > 1024) {
      throw new IllegalArgumentException(function + ": block (" + blockX + ", " + blockY + ", " + blockZ + ") out of range");
    }
  }

  /** A 1-D grid of {@code blocks} blocks of {@code threads} threads. */
  public static KernelCall of(String function, long blocks, int threads, List<KernelParam> params) {
    return new KernelCall(function, gridX(function, blocks), 1, 1, threads, 1, 1, 0, params);
  }

  /** A 2-D grid (blocks, batch). */
  public static KernelCall of2d(String function, long blocks, int batch, int threads, List<KernelParam> params) {
    return new KernelCall(function, gridX(function, blocks), batch, 1, threads, 1, 1, 0, params);
  }

  private static int gridX(String function, long blocks) {
    if (blocks < 1 || blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(function + ": " + blocks + " blocks exceed the grid's x limit 2^31-1");
    }
    return (int) blocks;
  }
}
