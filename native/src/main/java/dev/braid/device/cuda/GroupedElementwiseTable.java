package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Unary;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_elementwise_grouped_f32}: one {@code BraidElementwiseProblem}
 * (braid_abi.h, {@value #PROBLEM_BYTES} bytes) per {@link Unary}, {@link Binary} or
 * {@link BatchNorm}, mixed in any order; each problem's kind and op code are in its entry, so every
 * UnaryOp and BinaryOp (with its broadcasting) shares one launch. 1024 outputs per block.
 */
public final class GroupedElementwiseTable {
  public static final String FUNCTION = "braid_elementwise_grouped_f32";
  /** sizeof(BraidElementwiseProblem). */
  public static final int PROBLEM_BYTES = 208;
  public static final int OFF_X = 0, OFF_B = 8, OFF_C = 16, OFF_Y = 24, OFF_N = 32, OFF_KIND = 40, OFF_OP = 44,
      OFF_LO = 48, OFF_HI = 52, OFF_CHANNELS = 56, OFF_SPATIAL = 60, OFF_FIRST_BLOCK = 64, OFF_PAD0 = 68,
      OFF_SHAPE = 72;
  /** BRAID_EW_UNARY, BRAID_EW_BINARY, BRAID_EW_BATCHNORM. */
  public static final int KIND_UNARY = 0, KIND_BINARY = 1, KIND_BATCHNORM = 2;
  /** 256 threads x 4 elements (BRAID_EW_THREADS, BRAID_EW_PER_THREAD). */
  public static final int THREADS = 256, BLOCK_ELEMENTS = 1024;

  private GroupedElementwiseTable() {}

  /** Outputs of an elementwise kernel. */
  public static long elements(Kernel k) {
    if (k instanceof Unary u) {
      return u.elements();
    }
    if (k instanceof Binary b) {
      return b.out().size();
    }
    if (k instanceof BatchNorm bn) {
      return (long) bn.n() * bn.channels() * bn.spatial();
    }
    throw new IllegalArgumentException("not an elementwise kernel: " + k);
  }

  /** Blocks of one problem: ceil(outputs / 1024); 0 when it has none. */
  public static long blocksOf(Kernel k) {
    return TileMap.ceilDiv(elements(k), BLOCK_ELEMENTS);
  }

  /** The table for {@code problems} (Unary, Binary, BatchNorm); empty when none has an output. */
  public static Optional<ProblemTable> of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    for (int i = 0; i < problems.size(); i++) {
      Kernel k = problems.get(i).kernel();
      if (!(k instanceof Unary || k instanceof Binary || k instanceof BatchNorm)) {
        throw new IllegalArgumentException("grouped elementwise problem " + i
            + ": expected Unary, Binary or BatchNorm, got " + k);
      }
    }
    return ProblemTable.build(FUNCTION, PROBLEM_BYTES, THREADS, problems, address,
        GroupedElementwiseTable::blocksOf, GroupedElementwiseTable::put);
  }

  private static void put(ByteBuffer buf, int at, ProblemTable.Entry p, int firstBlock) {
    Kernel k = p.kernel();
    buf.putLong(at + OFF_X, p.arg(0)).putLong(at + OFF_Y, p.output());
    buf.putLong(at + OFF_N, elements(k));
    buf.putInt(at + OFF_FIRST_BLOCK, firstBlock);
    if (k instanceof Unary u) {
      buf.putInt(at + OFF_KIND, KIND_UNARY).putInt(at + OFF_OP, u.op().ordinal());
      buf.putFloat(at + OFF_LO, u.min()).putFloat(at + OFF_HI, u.max());
    } else if (k instanceof Binary bin) {
      buf.putLong(at + OFF_B, p.arg(1));
      buf.putInt(at + OFF_KIND, KIND_BINARY).putInt(at + OFF_OP, bin.op().ordinal());
      buf.put(at + OFF_SHAPE, ShapeStruct.binary(bin));
    } else {
      BatchNorm bn = (BatchNorm) k;
      buf.putLong(at + OFF_B, p.arg(1)).putLong(at + OFF_C, p.arg(2));
      buf.putInt(at + OFF_KIND, KIND_BATCHNORM);
      buf.putInt(at + OFF_CHANNELS, bn.channels()).putInt(at + OFF_SPATIAL, bn.spatial());
    }
  }
}
