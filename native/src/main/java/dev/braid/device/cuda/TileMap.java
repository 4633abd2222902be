package dev.braid.device.cuda;

/**
 * The flattened tile space of a grouped launch, as the CUDA super-kernels walk it: problem
 * {@code p} owns tiles {@code [firstTile[p], firstTile[p] + tiles[p])}, {@code firstTile[0] = 0},
 * and block {@code b} of the 1-D grid runs tile {@code b - firstTile[p]} of the problem found by
 * {@link #problemOf} (the same binary search as {@code braid_find_problem} in common.cuh).
 *
 * <p>Invariants: every problem has at least one tile; {@code firstTile} ascends strictly;
 * {@link #totalTiles} fits the grid's x dimension (2^31 - 1).
 */
public final class TileMap {
  private final int[] firstTile;
  private final int total;

  /** {@code tiles[p]}: tiles of problem p (at least 1 each). */
  public TileMap(long[] tiles) {
    if (tiles.length == 0) {
      throw new IllegalArgumentException("a tile map needs at least one problem");
    }
    firstTile = new int[tiles.length];
    long sum = 0;
    for (int p = 0; p < tiles.length; p++) {
      if (tiles[p] < 1) {
        throw new IllegalArgumentException("problem " + p + " has " + tiles[p] + " tiles; needs >= 1");
      }
      firstTile[p] = (int) sum;
      sum += tiles[p];
      if (sum > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("grouped launch needs " + sum + " tiles, above the grid limit 2^31-1");
      }
    }
    total = (int) sum;
  }

  public int firstTile(int problem) {
    return firstTile[problem];
  }

  public int problems() {
    return firstTile.length;
  }

  /** Blocks of the grouped launch's grid. */
  public int totalTiles() {
    return total;
  }

  /** The problem owning flattened tile {@code tile}: the last p with {@code firstTile[p] <= tile}. */
  public int problemOf(int tile) {
    if (tile < 0 || tile >= total) {
      throw new IndexOutOfBoundsException("tile " + tile + " outside [0, " + total + ")");
    }
    int lo = 0, hi = firstTile.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (firstTile[mid] <= tile) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** {@code ceil(a / b)} for positive b. */
  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
