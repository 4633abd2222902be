package dev.braid.device.cuda;

import java.nio.ByteBuffer;

/**
 * A packed problem table of one of the tiled grouped kernels (GEMM, {@link GroupedGemmTable};
 * implicit-GEMM convolution, {@link GroupedConvTable}): the little-endian bytes the device uploads
 * and the {@link TileMap} that gives each problem its first tile in the grid's flattened tile
 * space. Invariant: the bytes hold {@code count()} entries, one per problem of the tile map.
 */
public abstract class TiledProblemTable {
  private final ByteBuffer bytes;
  private final TileMap tiles;

  TiledProblemTable(ByteBuffer bytes, TileMap tiles) {
    this.bytes = bytes;
    this.tiles = tiles;
  }

  /** The table, little-endian, one entry per problem as braid_abi.h lays it out. */
  public final byte[] bytes() {
    return bytes.array().clone();
  }

  /** Problems (entries) in the table. */
  public final int count() {
    return tiles.problems();
  }

  /** Tiles of the launch's grid: the blocks it launches. */
  public final int totalTiles() {
    return tiles.totalTiles();
  }

  public final TileMap tileMap() {
    return tiles;
  }
}
