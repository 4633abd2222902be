package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_rows_grouped_f32}: one {@code BraidRowProblem} (braid_abi.h,
 * {@value #PROBLEM_BYTES} bytes) per {@link Softmax}, {@link LayerNorm} or {@link ReduceMean}, one
 * block per row (fibre, output element). Each entry carries the threads its single-problem kernel
 * would use ({@link LaunchPacker#reductionThreads}); the launch's block is the largest of them, and
 * a row runs on its own count so that its sums meet in the same order as alone.
 */
public final class GroupedRowTable {
  public static final String FUNCTION = "braid_rows_grouped_f32";
  /** sizeof(BraidRowProblem). */
  public static final int PROBLEM_BYTES = 200;
  public static final int OFF_X = 0, OFF_Y = 8, OFF_SCALE = 16, OFF_BIAS = 24, OFF_COUNT = 32, OFF_KIND = 40,
      OFF_THREADS = 44, OFF_FIRST_BLOCK = 48, OFF_LEN = 52, OFF_INNER = 56, OFF_EPSILON = 60, OFF_SHAPE = 64;
  /** BRAID_ROWS_SOFTMAX, BRAID_ROWS_LAYERNORM, BRAID_ROWS_REDUCE_MEAN. */
  public static final int KIND_SOFTMAX = 0, KIND_LAYERNORM = 1, KIND_REDUCE_MEAN = 2;

  private GroupedRowTable() {}

  /** Rows (blocks) of one problem; 0 when it has none. */
  public static long blocksOf(Kernel k) {
    if (k instanceof Softmax s) {
      return (long) s.outer() * s.inner();
    }
    if (k instanceof LayerNorm l) {
      return l.rows();
    }
    if (k instanceof ReduceMean r) {
      return r.reducedElements() == 0 ? 0 : r.outputElements();
    }
    throw new IllegalArgumentException("not a row kernel: " + k);
  }

  /** Threads that work on one row of {@code k}: clamp(nextPow2(row length), 32, 256). */
  public static int threadsOf(Kernel k) {
    if (k instanceof Softmax s) {
      return LaunchPacker.reductionThreads(s.axis());
    }
    if (k instanceof LayerNorm l) {
      return LaunchPacker.reductionThreads(l.cols());
    }
    if (k instanceof ReduceMean r) {
      return LaunchPacker.reductionThreads(r.reducedElements());
    }
    throw new IllegalArgumentException("not a row kernel: " + k);
  }

  /** The table for {@code problems} (Softmax, LayerNorm, ReduceMean); empty when none has a row. */
  public static Optional<ProblemTable> of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    int threads = 32;
    for (int i = 0; i < problems.size(); i++) {
      Kernel k = problems.get(i).kernel();
      if (!(k instanceof Softmax || k instanceof LayerNorm || k instanceof ReduceMean)) {
        throw new IllegalArgumentException("grouped row problem " + i + ": expected Softmax, LayerNorm or ReduceMean, got " + k);
      }
      if (blocksOf(k) > 0) {
        threads = Math.max(threads, threadsOf(k));
      }
    }
    return ProblemTable.build(FUNCTION, PROBLEM_BYTES, threads, problems, address, GroupedRowTable::blocksOf,
        GroupedRowTable::put);
  }

  private static void put(ByteBuffer buf, int at, ProblemTable.Entry p, int firstBlock) {
    Kernel k = p.kernel();
    buf.putLong(at + OFF_X, p.arg(0)).putLong(at + OFF_Y, p.output());
    buf.putInt(at + OFF_THREADS, threadsOf(k)).putInt(at + OFF_FIRST_BLOCK, firstBlock);
    if (k instanceof Softmax s) {
      buf.putInt(at + OFF_KIND, KIND_SOFTMAX).putInt(at + OFF_LEN, s.axis()).putInt(at + OFF_INNER, s.inner());
    } else if (k instanceof LayerNorm l) {
      buf.putLong(at + OFF_SCALE, p.arg(1));
      buf.putLong(at + OFF_BIAS, l.hasBias() ? p.arg(2) : 0);
      buf.putInt(at + OFF_KIND, KIND_LAYERNORM).putInt(at + OFF_LEN, l.cols()).putFloat(at + OFF_EPSILON, l.epsilon());
    } else {
      ReduceMean r = (ReduceMean) k;
      buf.putLong(at + OFF_COUNT, r.reducedElements()).putInt(at + OFF_KIND, KIND_REDUCE_MEAN);
      buf.put(at + OFF_SHAPE, ShapeStruct.reduction(r));
    }
  }
}
