package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Kernel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * A packed problem table of one of the grouped kernels of the fusion classes beyond GEMM and
 * convolution ({@link GroupedDepthwiseTable}, {@link GroupedElementwiseTable},
 * {@link GroupedPoolTable}, {@link GroupedRowTable}, {@link GroupedTopKTable},
 * {@link GroupedPoolNdTable}): the bytes to upload, the kernel that reads
 * them, and the launch's grid and block.
 *
 * <p>Invariants: {@code bytes.length == entryBytes * problems.length}; table entry {@code e} is the
 * launch's problem {@code problems[e]}, in launch order (problems with no work are left out:
 * every entry owns at least one block); {@code blocks.problems() == problems.length}.
 *
 * @param function the CUDA kernel, e.g. {@code braid_elementwise_grouped_f32}
 * @param bytes the table, little-endian, entries as braid_abi.h lays them out
 * @param entryBytes sizeof one entry
 * @param blocks each entry's first block in the grid; its total is the grid's x dimension
 * @param problems for each entry, the index of its problem in the grouped launch
 * @param threads threads per block of the launch
 */
public record ProblemTable(String function, byte[] bytes, int entryBytes, TileMap blocks, int[] problems,
    int threads) {
  public ProblemTable {
    bytes = bytes.clone();
    problems = problems.clone();
    if (bytes.length != (long) entryBytes * problems.length || blocks.problems() != problems.length) {
      throw new IllegalArgumentException(function + ": " + bytes.length + " bytes for " + problems.length
          + " entries of " + entryBytes + " bytes and " + blocks.problems() + " block ranges");
    }
  }

  /** One problem being packed: its kernel and the device addresses of its arguments. */
  record Entry(KernelLaunch launch, ToLongFunction<BufferSlice> address) {
    Kernel kernel() {
      return launch.kernel();
    }

    /** The device address of argument {@code i}'s first byte. */
    long arg(int i) {
      return address.applyAsLong(launch.args().get(i));
    }

    /** The device address of the output, the last argument. */
    long output() {
      return arg(launch.args().size() - 1);
    }
  }

  /** Writes one problem's entry at byte {@code at}, owning blocks from {@code firstBlock}. */
  interface EntryWriter {
    void put(ByteBuffer buf, int at, Entry problem, int firstBlock);
  }

  /**
   * Packs {@code problems} in order, leaving out those {@code blocksOf} gives no block; empty when
   * none has work (the launch then has nothing to run).
   */
  static Optional<ProblemTable> build(String function, int entryBytes, int threads, List<KernelLaunch> problems,
      ToLongFunction<BufferSlice> address, ToLongFunction<Kernel> blocksOf, EntryWriter writer) {
    List<Integer> kept = new ArrayList<>();
    List<Long> counts = new ArrayList<>();
    for (int i = 0; i < problems.size(); i++) {
      long b = blocksOf.applyAsLong(problems.get(i).kernel());
      if (b > 0) {
        kept.add(i);
        counts.add(b);
      }
    }
    if (kept.isEmpty()) {
      return Optional.empty();
    }
    TileMap map = new TileMap(counts.stream().mapToLong(Long::longValue).toArray());
    ByteBuffer buf = ByteBuffer.allocate(entryBytes * kept.size()).order(ByteOrder.LITTLE_ENDIAN);
    for (int e = 0; e < kept.size(); e++) {
      writer.put(buf, e * entryBytes, new Entry(problems.get(kept.get(e)), address), map.firstTile(e));
    }
    return Optional.of(new ProblemTable(function, buf.array(), entryBytes, map,
        kept.stream().mapToInt(Integer::intValue).toArray(), threads));
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public int[] problems() {
    return problems.clone();
  }

  /** Entries in the table. */
  public int count() {
    return problems.length;
  }

  /** Blocks of the launch's grid. */
  public int totalBlocks() {
    return blocks.totalTiles();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProblemTable t && function.equals(t.function) && Arrays.equals(bytes, t.bytes)
        && entryBytes == t.entryBytes && Arrays.equals(problems, t.problems) && threads == t.threads;
  }

  @Override
  public int hashCode() {
    return function.hashCode() * 31 + Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "ProblemTable[" + function + ", " + problems.length + " entries, " + totalBlocks() + " blocks of "
        + threads + " threads]";
  }
}
