package dev.braid.device.cuda;

import dev.braid.device.DeviceBuffer;

import dev.braid.device.BufferSlice;
import dev.braid.device.DeviceException;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.cuda.KernelParam.F32;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cuda.KernelParam.I64;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.cuda.KernelParam.Struct;
import dev.braid.device.cuda.PackedLaunch.StatusCheck;
import dev.braid.device.cuda.PackedLaunch.Upload;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.TopK;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.Where;
import dev.braid.model.Shape;
import dev.braid.device.plan.KernelFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * Binds a {@link Launch} to the CUDA kernels of {@code braid_kernels.fatbin}: which function, what
 * grid and block, and every parameter in {@code cuLaunchKernel} order, exactly as
 * {@code native/src/main/cuda/README.md} tabulates them. Pure Java, tested on the CPU; the device
 * addresses of slices come from {@code address} and scratch device memory (batch offsets, problem
 * tables, status words, Concat intermediates) from {@link Scratch}.
 *
 * <p>Choices the ABI prescribes: the skinny GEMM when {@code min(M, N) <= 16}, the tiled one
 * otherwise; the depthwise kernel for depthwise convolutions; Gather's status word zeroed before
 * and checked after; Concat over more than 16 inputs in rounds of at most 16.
 *
 * <p>A {@link GroupedLaunch} runs on the grouped kernel of its problems' class, one table upload
 * and one call (see {@link GroupClass}): {@code braid_gemm_skinny_grouped_f32} when every GEMM has
 * {@code min(M, N) <= 16}, else {@code braid_gemm_grouped_f32} for all ({@link GroupedGemmTable}),
 * {@code braid_conv2d_grouped_f32} ({@link GroupedConvTable}) with depthwise problems beside it on
 * {@code braid_conv2d_depthwise_grouped_f32} ({@link GroupedDepthwiseTable}),
 * {@code braid_elementwise_grouped_f32}, {@code braid_pool_grouped_f32},
 * {@code braid_rows_grouped_f32}, {@code braid_topk_grouped_f32} and {@code braid_pool_nd_grouped_f32}
 * ({@link GroupedElementwiseTable}, {@link GroupedPoolTable}, {@link GroupedRowTable},
 * {@link GroupedTopKTable}, {@link GroupedPoolNdTable}). Problems with no work are left out of the
 * tables; a list that mixes classes, or holds a layout kernel, is refused with INVALID_ARGUMENT.
 *
 * <p>{@link Precision#BF16_FP32_ACC} GEMMs and convolutions: {@code braid_f32_to_bf16} first
 * converts each multiplied operand's whole float32 slice (A and B, or X and W) into bf16 scratch of
 * the same layout (so element offsets stay valid), then {@code braid_gemm_bf16} or
 * {@code braid_conv2d_bf16} runs with the scratch addresses in place of the float32 ones; C, bias
 * and Y stay float32. These are the only bf16 kernels: no skinny or depthwise variant (the WMMA
 * tiles take every shape and any groups) and no grouped one, so a {@link GroupedLaunch} holding a
 * bf16 problem is refused with INVALID_ARGUMENT ({@code FusionKeys} gives bf16 kernels no key, so
 * the scheduler never forms one).
 *
 * <p>Not thread-confined, stateless. If packing fails midway, the scratch it took is freed.
 */
public final class LaunchPacker {
  /** Device memory for the launch's own use; CudaDevice backs it with the pool. */
  public interface Scratch {
    long allocate(long bytes);

    void free(long address);
  }

  private LaunchPacker() {}

  /**
   * The driver API calls {@code launch} costs the host on a CUDA device: one {@code
   * cuMemcpyHtoDAsync} per table or status word it uploads (a GEMM's batch offsets, a grouped
   * launch's problem table, a Gather's status word) and one {@code cuLaunchKernel} per kernel call
   * (a bf16 conversion, a dense-plus-depthwise group's second kernel), at least one. Packs the
   * launch against stand-in addresses, so the count is exactly what {@link #pack} issues; the
   * simulator charges host time per call with it.
   */
  public static int driverCalls(Launch launch) {
    long[] next = {STAND_IN_SCRATCH};
    Scratch scratch = new Scratch() {
      @Override
      public long allocate(long bytes) {
        long a = next[0];
        next[0] += (bytes + 255) / 256 * 256;
        return a;
      }

      @Override
      public void free(long address) {
        // stand-in addresses own nothing
      }
    };
    // Stand-in arguments too: the count depends on the kernels only, and the simulator and the cost
    // model also price launches whose buffers do not exist (KernelLaunch with no arguments).
    Launch standIn = launch instanceof GroupedLaunch g
        ? new GroupedLaunch(g.problems().stream().map(LaunchPacker::standIn).toList())
        : standIn((KernelLaunch) launch);
    PackedLaunch p = pack(standIn, s -> STAND_IN_BUFFERS + s.offsetBytes(), scratch);
    return Math.max(1, p.uploads().size() + p.calls().size());
  }

  private static KernelLaunch standIn(KernelLaunch launch) {
    Kernel k = launch.kernel();
    List<BufferSlice> args = new ArrayList<>(k.argNames().size());
    for (int i = 0; i < k.argNames().size(); i++) {
      long bytes = k.argBytes(i);
      DeviceBuffer buffer = () -> bytes;
      args.add(new BufferSlice(buffer, 0, bytes));
    }
    return new KernelLaunch(k, args);
  }

  /** Stand-in device addresses for {@link #driverCalls}: nonzero, 256-byte aligned, never dereferenced. */
  private static final long STAND_IN_BUFFERS = 0x1000_0000_0000L, STAND_IN_SCRATCH = 0x2000_0000_0000L;

  /** Packs {@code launch}; its arguments must already be validated. */
  public static PackedLaunch pack(Launch launch, ToLongFunction<BufferSlice> address, Scratch scratch) {
    LaunchBuilder b = new LaunchBuilder(address, scratch);
    try {
      if (launch instanceof KernelLaunch k) {
        b.single(k);
        return b.build(label(launch, b.calls));
      }
    } catch (RuntimeException e) {
      b.release();
      throw e;
    }
    return packGrouped(((GroupedLaunch) launch).problems(), address, scratch);
  }

  /**
   * Packs the problems of a grouped launch, in order, onto the grouped kernel of their fusion class
   * (see the class comment); a list that mixes classes is refused with INVALID_ARGUMENT naming the
   * first problem of another class. Package-private so that tests can pack lists that
   * {@link GroupedLaunch} itself would refuse.
   */
  static PackedLaunch packGrouped(List<KernelLaunch> problems, ToLongFunction<BufferSlice> address, Scratch scratch) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a grouped launch needs at least one problem");
    }
    LaunchBuilder b = new LaunchBuilder(address, scratch);
    try {
      b.grouped(problems);
      return b.build(String.join("+", functions(b.calls)) + " (grouped launch of " + problems.size() + " "
          + GroupClass.of(problems.get(0).kernel()).what + " problems)");
    } catch (RuntimeException e) {
      b.release();
      throw e;
    }
  }

  /**
   * The grouped kernels of a {@link GroupedLaunch}, by the first problem's kind: one class per
   * launch. GEMMs, dense and depthwise convolutions share the TILED class: GEMMs alone run on the
   * grouped GEMM kernels, dense convolutions alone on the grouped implicit GEMM, both together on
   * {@code braid_tiled_grouped_f32}, and depthwise ones on the grouped depthwise kernel (a second
   * call on the stream; their fusion key differs, so the scheduler never forms that mix); every
   * other class is one call.
   */
  enum GroupClass {
    TILED("Gemm/Conv2d"),
    ELEMENTWISE("Unary/Binary/BatchNorm"),
    POOL("Pool2d/GlobalAveragePool"),
    ROWS("Softmax/LayerNorm/ReduceMean/Reduce/AlongAxis"),
    TOPK("TopK"),
    POOL_ND("PoolNd");

    final String what;

    GroupClass(String what) {
      this.what = what;
    }

    /**
     * By the kernel's {@link KernelFamily}, GEMMs, dense and depthwise convolutions together; TopK
     * and PoolNd, which share the rows' and pools' families, in classes of their own.
     */
    static GroupClass of(Kernel k) {
      if (k instanceof TopK) {
        return TOPK;
      }
      if (k instanceof PoolNd) {
        return POOL_ND;
      }
      return switch (KernelFamily.of(k)) {
        case GEMM, CONV2D, DEPTHWISE_CONV2D -> TILED;
        case ELEMENTWISE -> ELEMENTWISE;
        case POOL -> POOL;
        case NORMALIZATION -> ROWS;
        case LAYOUT -> throw new DeviceException(DeviceException.Reason.INVALID_ARGUMENT, "no grouped CUDA kernel for "
            + k.getClass().getSimpleName() + " (" + k + "): Transpose, Concat, Gather and Copy launch singly");
      };
    }
  }

  private static List<String> functions(List<KernelCall> calls) {
    List<String> fns = new ArrayList<>();
    for (KernelCall c : calls) {
      if (!fns.contains(c.function())) {
        fns.add(c.function());
      }
    }
    return fns;
  }

  private static String label(Launch launch, List<KernelCall> calls) {
    String what = launch instanceof KernelLaunch k ? k.kernel().toString()
        : "grouped launch of " + ((GroupedLaunch) launch).problems().size() + " "
            + ((GroupedLaunch) launch).problems().get(0).kernel().getClass().getSimpleName() + " problems";
    return String.join("+", functions(calls)) + " (" + what + ")";
  }

  /** ceil(a / b) for positive b. */
  static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /** Threads of the block-reduction kernels: next power of two of {@code n}, clamped to [32, 256]. */
  static int reductionThreads(long n) {
    int t = 32;
    while (t < n && t < 256) {
      t <<= 1;
    }
    return t;
  }
}
