package dev.braid.device.cuda;

import dev.braid.device.BufferSlice;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The problem table of {@code braid_rows_grouped_f32}: one {@code BraidRowProblem} (braid_abi.h,
 * {@value #PROBLEM_BYTES} bytes) per {@link Softmax}, {@link LayerNorm}, {@link ReduceMean},
 * {@link Reduce} or {@link AlongAxis}, one block per row (fibre, output element). Each entry
 * carries the threads its single-problem kernel would use ({@link LaunchPacker#reductionThreads});
 * the launch's block is the largest of them, and a row runs on its own count so that its sums meet
 * in the same order as alone. The grouped kernel has no status word, so an integral Reduce or
 * AlongAxis (whose single kernel fails the launch on a result beyond 2^24) is refused here, as
 * {@link dev.braid.device.plan.FusionKeys} keeps it out of the class.
 */
public final class GroupedRowTable {
  public static final String FUNCTION = "braid_rows_grouped_f32";
  /** sizeof(BraidRowProblem). */
  public static final int PROBLEM_BYTES = 208;
  public static final int OFF_X = 0, OFF_Y = 8, OFF_SCALE = 16, OFF_BIAS = 24, OFF_COUNT = 32, OFF_KIND = 40,
      OFF_THREADS = 44, OFF_FIRST_BLOCK = 48, OFF_LEN = 52, OFF_INNER = 56, OFF_EPSILON = 60, OFF_SHAPE = 64,
      OFF_OP = 200;
  /** BRAID_ROWS_SOFTMAX, BRAID_ROWS_LAYERNORM, BRAID_ROWS_REDUCE_MEAN, BRAID_ROWS_REDUCE, BRAID_ROWS_ALONG_AXIS. */
  public static final int KIND_SOFTMAX = 0, KIND_LAYERNORM = 1, KIND_REDUCE_MEAN = 2, KIND_REDUCE = 3,
      KIND_ALONG_AXIS = 4;

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
    if (k instanceof Reduce r) {
      if (r.outputElements() > 0 && r.reducedElements() == 0) {
        throw LaunchBuilder.invalid(r + ": a reduction over an empty axis has no CUDA kernel");
      }
      return r.outputElements();
    }
    if (k instanceof AlongAxis a) {
      return a.axis() == 0 ? 0 : (long) a.outer() * a.inner();
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
    if (k instanceof Reduce r) {
      return LaunchPacker.reductionThreads(r.reducedElements());
    }
    if (k instanceof AlongAxis a) {
      return LaunchPacker.reductionThreads(a.axis());
    }
    throw new IllegalArgumentException("not a row kernel: " + k);
  }

  /**
   * The table for {@code problems} (Softmax, LayerNorm, ReduceMean, Reduce, AlongAxis); empty when
   * none has a row.
   */
  public static Optional<ProblemTable> of(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address) {
    int threads = 32;
    for (int i = 0; i < problems.size(); i++) {
      Kernel k = problems.get(i).kernel();
      if (!(k instanceof Softmax || k instanceof LayerNorm || k instanceof ReduceMean || k instanceof Reduce
          || k instanceof AlongAxis)) {
        throw new IllegalArgumentException("grouped row problem " + i
            + ": expected Softmax, LayerNorm, ReduceMean, Reduce or AlongAxis, got " + k);
      }
      if (k instanceof Reduce r && r.integral() || k instanceof AlongAxis a && a.integral()) {
        throw LaunchBuilder.invalid("grouped row problem " + i + " (" + k + ") is integral: its single kernel checks"
            + " results against 2^24 through a status word that braid_rows_grouped_f32 lacks; launch it singly");
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
    } else if (k instanceof ReduceMean r) {
      buf.putLong(at + OFF_COUNT, r.reducedElements()).putInt(at + OFF_KIND, KIND_REDUCE_MEAN);
      buf.put(at + OFF_SHAPE, ShapeStruct.reduction(r));
    } else if (k instanceof Reduce r) {
      buf.putLong(at + OFF_COUNT, r.reducedElements()).putInt(at + OFF_KIND, KIND_REDUCE);
      buf.put(at + OFF_SHAPE, ShapeStruct.reduction(r)).putInt(at + OFF_OP, r.op().ordinal());
    } else {
      AlongAxis a = (AlongAxis) k;
      buf.putInt(at + OFF_KIND, KIND_ALONG_AXIS).putInt(at + OFF_LEN, a.axis()).putInt(at + OFF_INNER, a.inner());
      buf.putInt(at + OFF_OP, a.op().ordinal());
    }
  }
}
