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
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
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
 * {@code braid_elementwise_grouped_f32}, {@code braid_pool_grouped_f32} and
 * {@code braid_rows_grouped_f32} ({@link GroupedElementwiseTable}, {@link GroupedPoolTable},
 * {@link GroupedRowTable}). Problems with no work are left out of the tables; a list that mixes
 * classes, or holds a layout kernel, is refused with INVALID_ARGUMENT.
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
  /** Threads of the tiled GEMM/conv block (BRAID_TILED_THREADS). */
  static final int TILED_THREADS = 256;
  /** Threads of the bf16 WMMA GEMM/conv block (BRAID_WMMA_THREADS): 4 warps. */
  static final int WMMA_THREADS = 128;
  /** sizeof(__nv_bfloat16). */
  static final int BF16_BYTES = 2;
  /** Skinny GEMM: short side limit, long-side span per block, threads (BRAID_SKINNY_*). */
  static final int SKINNY_MAX = 16, SKINNY_SPAN = 32, SKINNY_THREADS = 128;
  /** Elementwise blocks: 256 threads x 4 elements (BRAID_EW_*). */
  static final int EW_THREADS = 256, EW_BLOCK_ELEMENTS = 1024;
  /** Global average pool: 8 rows (one warp each) per 256-thread block. */
  static final int GAP_ROWS_PER_BLOCK = 8;
  /** BRAID_MAX_CONCAT. */
  static final int MAX_CONCAT = 16;
  /** sizeof(BraidConcatInputs). */
  static final int CONCAT_BYTES = 200;

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
    Builder b = new Builder(address, scratch);
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
    Builder b = new Builder(address, scratch);
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
   * launch. Dense and depthwise convolutions share the CONV class as before issue 10 (the dense
   * ones run on the grouped implicit GEMM, the depthwise ones on the grouped depthwise kernel,
   * two calls on the stream); every other class is one call.
   */
  enum GroupClass {
    GEMM("Gemm"),
    CONV("Conv2d"),
    ELEMENTWISE("Unary/Binary/BatchNorm"),
    POOL("Pool2d/GlobalAveragePool"),
    ROWS("Softmax/LayerNorm/ReduceMean");

    final String what;

    GroupClass(String what) {
      this.what = what;
    }

    /** By the kernel's {@link KernelFamily}, dense and depthwise convolutions together. */
    static GroupClass of(Kernel k) {
      return switch (KernelFamily.of(k)) {
        case GEMM -> GEMM;
        case CONV2D, DEPTHWISE_CONV2D -> CONV;
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
    List<String> fns = new ArrayList<>();
    for (KernelCall c : calls) {
      if (!fns.contains(c.function())) {
        fns.add(c.function());
      }
    }
    String what = launch instanceof KernelLaunch k ? k.kernel().toString()
        : "grouped launch of " + ((GroupedLaunch) launch).problems().size() + " "
            + ((GroupedLaunch) launch).problems().get(0).kernel().getClass().getSimpleName() + " problems";
    return String.join("+", fns) + " (" + what + ")";
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

  /** Accumulates one launch's uploads, calls, checks and scratch. */
  static final class Builder {
    final ToLongFunction<BufferSlice> address;
    final Scratch scratch;
    final List<Upload> uploads = new ArrayList<>();
    final List<KernelCall> calls = new ArrayList<>();
    final List<StatusCheck> checks = new ArrayList<>();
    final List<Long> taken = new ArrayList<>();

    Builder(ToLongFunction<BufferSlice> address, Scratch scratch) {
      this.address = address;
      this.scratch = scratch;
    }

    PackedLaunch build(String label) {
      return new PackedLaunch(label, uploads, calls, checks, taken);
    }

    void release() {
      for (long a : taken) {
        scratch.free(a);
      }
      taken.clear();
    }

    long take(long bytes) {
      long a = scratch.allocate(bytes);
      taken.add(a);
      return a;
    }

    long addr(KernelLaunch k, int arg) {
      return address.applyAsLong(k.args().get(arg));
    }

    long out(KernelLaunch k) {
      return addr(k, k.args().size() - 1);
    }

    void single(KernelLaunch k) {
      Kernel kernel = k.kernel();
      if (kernel instanceof Gemm g) {
        gemm(k, g);
      } else if (kernel instanceof Conv2d c) {
        conv(k, c);
      } else if (kernel instanceof Unary u) {
        elementwise("braid_unary_f32", u.elements(), List.of(new Ptr(addr(k, 0)), new Ptr(out(k)),
            new I64(u.elements()), new I32(u.op().ordinal()), new F32(u.min()), new F32(u.max())));
      } else if (kernel instanceof Binary bin) {
        binary(k, bin);
      } else if (kernel instanceof BatchNorm bn) {
        long total = (long) bn.n() * bn.channels() * bn.spatial();
        elementwise("braid_batchnorm_f32", total, List.of(new Ptr(addr(k, 0)), new Ptr(addr(k, 1)),
            new Ptr(addr(k, 2)), new Ptr(out(k)), new I64(total), new I32(bn.channels()), new I32(bn.spatial())));
      } else if (kernel instanceof Copy c) {
        elementwise("braid_copy_f32", c.elements(), List.of(new Ptr(addr(k, 0)), new Ptr(out(k)), new I64(c.elements())));
      } else if (kernel instanceof Transpose t) {
        transpose(k, t);
      } else if (kernel instanceof Concat c) {
        concat(k, c);
      } else if (kernel instanceof Gather g) {
        gather(k, g);
      } else if (kernel instanceof Where w) {
        elementwise("braid_where_f32", w.out().size(), List.of(new Ptr(addr(k, 0)), new Ptr(addr(k, 1)),
            new Ptr(addr(k, 2)), new Ptr(out(k)), new I64(w.out().size()), new Struct("BraidShape", ShapeStruct.where(w))));
      } else if (kernel instanceof Pool2d p) {
        pool(k, p);
      } else if (kernel instanceof GlobalAveragePool gap) {
        calls.add(KernelCall.of("braid_global_avg_pool_f32", ceilDiv(gap.channels(), GAP_ROWS_PER_BLOCK), 256,
            List.of(new Ptr(addr(k, 0)), new Ptr(out(k)), new I32(gap.channels()), new I32(gap.spatial()))));
      } else if (kernel instanceof Softmax s) {
        calls.add(KernelCall.of("braid_softmax_f32", (long) s.outer() * s.inner(), reductionThreads(s.axis()),
            List.of(new Ptr(addr(k, 0)), new Ptr(out(k)), new I32(s.axis()), new I32(s.inner()))));
      } else if (kernel instanceof LayerNorm ln) {
        calls.add(KernelCall.of("braid_layernorm_f32", ln.rows(), reductionThreads(ln.cols()),
            List.of(new Ptr(addr(k, 0)), new Ptr(addr(k, 1)), new Ptr(ln.hasBias() ? addr(k, 2) : 0),
                new Ptr(out(k)), new I32(ln.cols()), new F32(ln.epsilon()))));
      } else if (kernel instanceof ReduceMean r) {
        reduceMean(k, r);
      } else if (InterpPacking.handles(kernel)) {
        InterpPacking.pack(this, k);
      } else if (TensorPacking.handles(kernel)) {
        TensorPacking.pack(this, k);
      } else {
        throw invalid("no CUDA kernel for " + kernel);
      }
    }

    void elementwise(String fn, long n, List<KernelParam> params) {
      if (n > 0) {
        calls.add(KernelCall.of(fn, ceilDiv(n, EW_BLOCK_ELEMENTS), EW_THREADS, params));
      }
    }

    void gemm(KernelLaunch k, Gemm g) {
      if (g.batch() > 65535) {
        throw invalid(g + ": batch " + g.batch() + " exceeds the grid's y limit 65535");
      }
      // aOffsets then bOffsets, int32 each, in one scratch block.
      ByteBuffer offs = ByteBuffer.allocate(8 * g.batch()).order(ByteOrder.LITTLE_ENDIAN);
      for (int e = 0; e < g.batch(); e++) {
        offs.putInt(4 * e, g.aOffset(e));
        offs.putInt(4 * (g.batch() + e), g.bOffset(e));
      }
      long table = take(offs.capacity());
      uploads.add(new Upload(table, offs.array()));
      long c = g.bias() == GemmBias.NONE ? 0 : addr(k, 2);
      boolean bf16 = g.precision() == Precision.BF16_FP32_ACC;
      long a = bf16 ? toBf16(addr(k, 0), g.argBytes(0)) : addr(k, 0);
      long b = bf16 ? toBf16(addr(k, 1), g.argBytes(1)) : addr(k, 1);
      ByteBuffer p = ByteBuffer.allocate(GroupedGemmTable.PROBLEM_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      GroupedGemmTable.put(p, 0, g, a, b, c, out(k), 0);
      List<KernelParam> params = List.of(new Struct("BraidGemmProblem", p.array()), new Ptr(table),
          new Ptr(table + 4L * g.batch()));
      if (bf16) {
        calls.add(KernelCall.of2d("braid_gemm_bf16", GroupedGemmTable.tilesOf(g), g.batch(), WMMA_THREADS, params));
      } else if (Math.min(g.m(), g.n()) <= SKINNY_MAX) {
        calls.add(KernelCall.of2d("braid_gemm_skinny_f32", ceilDiv(Math.max(g.m(), g.n()), SKINNY_SPAN), g.batch(),
            SKINNY_THREADS, params));
      } else {
        calls.add(KernelCall.of2d("braid_gemm_f32", GroupedGemmTable.tilesOf(g), g.batch(), TILED_THREADS, params));
      }
    }

    void conv(KernelLaunch k, Conv2d c) {
      boolean bf16 = c.precision() == Precision.BF16_FP32_ACC;
      long x = bf16 ? toBf16(addr(k, 0), c.argBytes(0)) : addr(k, 0);
      long w = bf16 ? toBf16(addr(k, 1), c.argBytes(1)) : addr(k, 1);
      ByteBuffer p = ByteBuffer.allocate(GroupedConvTable.PROBLEM_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      GroupedConvTable.put(p, 0, c, x, w, c.hasBias() ? addr(k, 2) : 0, out(k), 0);
      List<KernelParam> params = List.of(new Struct("BraidConvProblem", p.array()));
      if (bf16) {
        calls.add(KernelCall.of("braid_conv2d_bf16", GroupedConvTable.tilesOf(c), WMMA_THREADS, params));
      } else if (c.isDepthwise()) {
        long outputs = (long) c.n() * c.k() * c.outH() * c.outW();
        calls.add(KernelCall.of("braid_conv2d_depthwise_f32", ceilDiv(outputs, EW_THREADS), EW_THREADS, params));
      } else {
        calls.add(KernelCall.of("braid_conv2d_f32", GroupedConvTable.tilesOf(c), TILED_THREADS, params));
      }
    }

    /**
     * Converts the float32 slice at {@code src} ({@code f32Bytes} long) into new bf16 scratch with
     * {@code braid_f32_to_bf16}, queued before the calls that read it; returns the scratch address.
     */
    long toBf16(long src, long f32Bytes) {
      long n = f32Bytes / Float.BYTES;
      long dst = take(n * BF16_BYTES);
      elementwise("braid_f32_to_bf16", n, List.of(new Ptr(src), new Ptr(dst), new I64(n)));
      return dst;
    }

    void grouped(List<KernelLaunch> problems) {
      GroupClass cls = GroupClass.of(problems.get(0).kernel());
      for (int i = 0; i < problems.size(); i++) {
        Kernel kernel = problems.get(i).kernel();
        if (kernel instanceof Gemm gm && gm.precision() != Precision.FP32
            || kernel instanceof Conv2d cv && cv.precision() != Precision.FP32) {
          throw invalid("grouped launch problem " + i + " (" + kernel + ") is " + Precision.BF16_FP32_ACC
              + ": there is no grouped bf16 kernel (braid_gemm_grouped_f32 and braid_conv2d_grouped_f32 are"
              + " float32 only); launch bf16 problems singly");
        }
        GroupClass other = GroupClass.of(kernel);
        if (other != cls) {
          throw invalid("grouped launch mixes fusion classes: problem 0 (" + problems.get(0).kernel() + ") is "
              + cls + " (" + cls.what + ") but problem " + i + " (" + kernel + ") is " + other + " (" + other.what
              + "); one grouped kernel runs one class");
        }
      }
      switch (cls) {
        case GEMM -> {
          boolean skinny = problems.stream().allMatch(p -> {
            Gemm gm = (Gemm) p.kernel();
            return Math.min(gm.m(), gm.n()) <= SKINNY_MAX;
          });
          GroupedGemmTable t = skinny ? GroupedGemmTable.skinny(problems, address) : GroupedGemmTable.of(problems, address);
          long table = take(t.bytes().length);
          uploads.add(new Upload(table, t.bytes()));
          calls.add(KernelCall.of(skinny ? "braid_gemm_skinny_grouped_f32" : "braid_gemm_grouped_f32", t.totalTiles(),
              skinny ? SKINNY_THREADS : TILED_THREADS, List.of(new Ptr(table), new I32(t.count()))));
        }
        case CONV -> {
          List<KernelLaunch> implicit = new ArrayList<>();
          List<KernelLaunch> depthwise = new ArrayList<>();
          for (KernelLaunch p : problems) {
            (((Conv2d) p.kernel()).isDepthwise() ? depthwise : implicit).add(p);
          }
          if (!implicit.isEmpty()) {
            GroupedConvTable t = GroupedConvTable.of(implicit, address);
            long table = take(t.bytes().length);
            uploads.add(new Upload(table, t.bytes()));
            calls.add(KernelCall.of("braid_conv2d_grouped_f32", t.totalTiles(), TILED_THREADS,
                List.of(new Ptr(table), new I32(t.count()))));
          }
          if (!depthwise.isEmpty()) {
            table(GroupedDepthwiseTable.of(depthwise, address));
          }
        }
        case ELEMENTWISE -> table(GroupedElementwiseTable.of(problems, address));
        case POOL -> table(GroupedPoolTable.of(problems, address));
        case ROWS -> table(GroupedRowTable.of(problems, address));
        default -> throw new IllegalStateException("unhandled " + cls);
      }
    }

    /** Uploads {@code t} and launches its kernel over it: (table address, entries); nothing when empty. */
    void table(Optional<ProblemTable> t) {
      if (t.isEmpty()) {
        return;
      }
      ProblemTable p = t.get();
      long table = take(p.bytes().length);
      uploads.add(new Upload(table, p.bytes()));
      calls.add(KernelCall.of(p.function(), p.totalBlocks(), p.threads(), List.of(new Ptr(table), new I32(p.count()))));
    }

    void binary(KernelLaunch k, Binary bin) {
      byte[] shape = ShapeStruct.binary(bin);
      elementwise("braid_binary_f32", bin.out().size(), List.of(new Ptr(addr(k, 0)), new Ptr(addr(k, 1)),
          new Ptr(out(k)), new I64(bin.out().size()), new I32(bin.op().ordinal()), new Struct("BraidShape", shape)));
    }

    void transpose(KernelLaunch k, Transpose t) {
      Shape in = t.input();
      ShapeStruct.checkRank(t, in.rank());
      int[] inStrides = in.strides();
      int[] strideA = new int[in.rank()];
      for (int i = 0; i < strideA.length; i++) {
        strideA[i] = inStrides[t.perm().get(i)];
      }
      byte[] s = ShapeStruct.of(in.rank(), 0, t.output().dims(), strideA, new int[0], new int[0]);
      elementwise("braid_transpose_f32", in.size(), List.of(new Ptr(addr(k, 0)), new Ptr(out(k)),
          new I64(in.size()), new Struct("BraidShape", s)));
    }

    void reduceMean(KernelLaunch k, ReduceMean r) {
      byte[] s = ShapeStruct.reduceMean(r);
      long outputs = r.outputElements();
      long count = r.reducedElements();
      if (outputs == 0 || count == 0) {
        return;
      }
      calls.add(KernelCall.of("braid_reduce_mean_f32", outputs, reductionThreads(count), List.of(
          new Ptr(addr(k, 0)), new Ptr(out(k)), new Struct("BraidShape", s), new I64(count))));
    }

    void gather(KernelLaunch k, Gather g) {
      long n = (long) g.outer() * g.indexCount() * g.inner();
      if (n == 0) {
        return;
      }
      long status = take(4);
      uploads.add(new Upload(status, new byte[4]));
      elementwise("braid_gather_f32", n, List.of(new Ptr(addr(k, 0)), new Ptr(addr(k, 1)), new Ptr(out(k)),
          new I32(g.outer()), new I32(g.indexCount()), new I32(g.inner()), new I32(g.data().dim(g.axis())),
          new Ptr(status)));
      checks.add(new StatusCheck(status, g + ": index out of range [-" + g.data().dim(g.axis()) + ", "
          + g.data().dim(g.axis()) + ") or not an integer"));
    }

    void pool(KernelLaunch k, Pool2d p) {
      long outputs = (long) p.n() * p.c() * p.outH() * p.outW();
      calls.add(KernelCall.of("braid_pool2d_f32", ceilDiv(outputs, EW_THREADS), EW_THREADS, List.of(
          new Ptr(addr(k, 0)), new Ptr(out(k)), new I32(p.mode().ordinal()), new I32(p.n()), new I32(p.c()),
          new I32(p.h()), new I32(p.w()), new I32(p.kernelH()), new I32(p.kernelW()), new I32(p.strideH()),
          new I32(p.strideW()), new I32(p.padTop()), new I32(p.padLeft()), new I32(p.padBottom()),
          new I32(p.padRight()), new I32(p.dilationH()), new I32(p.dilationW()), new I32(p.outH()),
          new I32(p.outW()), new I32(p.countIncludePad() ? 1 : 0))));
    }

    void concat(KernelLaunch k, Concat c) {
      Shape outShape = c.output();
      int outer = outShape.product(0, c.axis());
      List<Long> inputs = new ArrayList<>();
      List<Integer> chunks = new ArrayList<>();
      for (int i = 0; i < c.inputs().size(); i++) {
        inputs.add(addr(k, i));
        chunks.add(c.inputs().get(i).product(c.axis(), outShape.rank()));
      }
      concatRows(inputs, chunks, out(k), outer);
    }

    /**
     * Writes the rows of {@code inputs} (each {@code outer} rows of its chunk) side by side into
     * {@code y}. Over 16 inputs: groups of 16 go first into intermediate buffers (or straight into
     * their columns of y when there is one row), then those are concatenated.
     */
    void concatRows(List<Long> inputs, List<Integer> chunks, long y, int outer) {
      long outRow = 0;
      for (int ch : chunks) {
        outRow += ch;
      }
      if (outer == 0 || outRow == 0) {
        return;
      }
      if (inputs.size() <= MAX_CONCAT) {
        ByteBuffer s = ByteBuffer.allocate(CONCAT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int col = 0;
        for (int i = 0; i < inputs.size(); i++) {
          s.putLong(8 * i, inputs.get(i));
          s.putInt(128 + 4 * i, col);
          col += chunks.get(i);
        }
        s.putInt(128 + 4 * inputs.size(), col);
        s.putInt(196, inputs.size());
        elementwise("braid_concat_f32", (long) outer * col, List.of(new Struct("BraidConcatInputs", s.array()),
            new Ptr(y), new I32(outer), new I32(col)));
        return;
      }
      List<Long> groupOut = new ArrayList<>();
      List<Integer> groupChunks = new ArrayList<>();
      long col = 0;
      for (int from = 0; from < inputs.size(); from += MAX_CONCAT) {
        int to = Math.min(inputs.size(), from + MAX_CONCAT);
        List<Integer> ch = chunks.subList(from, to);
        int width = 0;
        for (int w : ch) {
          width += w;
        }
        long dst = outer == 1 ? y + 4 * col : take(4L * outer * Math.max(1, width));
        concatRows(inputs.subList(from, to), ch, dst, outer);
        groupOut.add(dst);
        groupChunks.add(width);
        col += width;
      }
      if (outer > 1) {
        concatRows(groupOut, groupChunks, y, outer);
      }
    }

    static DeviceException invalid(String message) {
      return new DeviceException(DeviceException.Reason.INVALID_ARGUMENT, message);
    }
  }
}
