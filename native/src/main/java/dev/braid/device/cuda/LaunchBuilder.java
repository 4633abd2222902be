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
import dev.braid.device.plan.KernelFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * Accumulates one launch's uploads, calls, status checks and scratch for {@link LaunchPacker}: the
 * binding of each kernel to its CUDA function, grid, block and parameters, one method a kernel
 * kind. If packing fails midway, {@link #release} frees the scratch taken so far.
 */
final class LaunchBuilder {
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

  final ToLongFunction<BufferSlice> address;
  final LaunchPacker.Scratch scratch;
  final List<Upload> uploads = new ArrayList<>();
  final List<KernelCall> calls = new ArrayList<>();
  final List<StatusCheck> checks = new ArrayList<>();
  final List<Long> taken = new ArrayList<>();

  LaunchBuilder(ToLongFunction<BufferSlice> address, LaunchPacker.Scratch scratch) {
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
      LayoutPacking.transpose(this, k, t);
    } else if (kernel instanceof Concat c) {
      LayoutPacking.concat(this, k, c);
    } else if (kernel instanceof Gather g) {
      LayoutPacking.gather(this, k, g);
    } else if (kernel instanceof Where w) {
      elementwise("braid_where_f32", w.out().size(), List.of(new Ptr(addr(k, 0)), new Ptr(addr(k, 1)),
          new Ptr(addr(k, 2)), new Ptr(out(k)), new I64(w.out().size()), new Struct("BraidShape", ShapeStruct.where(w))));
    } else if (kernel instanceof Pool2d p) {
      pool(k, p);
    } else if (kernel instanceof GlobalAveragePool gap) {
      calls.add(KernelCall.of("braid_global_avg_pool_f32", LaunchPacker.ceilDiv(gap.channels(), GAP_ROWS_PER_BLOCK), 256,
          List.of(new Ptr(addr(k, 0)), new Ptr(out(k)), new I32(gap.channels()), new I32(gap.spatial()))));
    } else if (kernel instanceof Softmax s) {
      calls.add(KernelCall.of("braid_softmax_f32", (long) s.outer() * s.inner(), LaunchPacker.reductionThreads(s.axis()),
          List.of(new Ptr(addr(k, 0)), new Ptr(out(k)), new I32(s.axis()), new I32(s.inner()))));
    } else if (kernel instanceof LayerNorm ln) {
      calls.add(KernelCall.of("braid_layernorm_f32", ln.rows(), LaunchPacker.reductionThreads(ln.cols()),
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
      calls.add(KernelCall.of(fn, LaunchPacker.ceilDiv(n, EW_BLOCK_ELEMENTS), EW_THREADS, params));
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
      calls.add(KernelCall.of2d("braid_gemm_skinny_f32", LaunchPacker.ceilDiv(Math.max(g.m(), g.n()), SKINNY_SPAN), g.batch(),
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
      calls.add(KernelCall.of("braid_conv2d_depthwise_f32", LaunchPacker.ceilDiv(outputs, EW_THREADS), EW_THREADS, params));
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
    LaunchPacker.GroupClass cls = LaunchPacker.GroupClass.of(problems.get(0).kernel());
    for (int i = 0; i < problems.size(); i++) {
      Kernel kernel = problems.get(i).kernel();
      if (kernel instanceof Gemm gm && gm.precision() != Precision.FP32
          || kernel instanceof Conv2d cv && cv.precision() != Precision.FP32) {
        throw invalid("grouped launch problem " + i + " (" + kernel + ") is " + Precision.BF16_FP32_ACC
            + ": there is no grouped bf16 kernel (braid_gemm_grouped_f32 and braid_conv2d_grouped_f32 are"
            + " float32 only); launch bf16 problems singly");
      }
      LaunchPacker.GroupClass other = LaunchPacker.GroupClass.of(kernel);
      if (other != cls) {
        throw invalid("grouped launch mixes fusion classes: problem 0 (" + problems.get(0).kernel() + ") is "
            + cls + " (" + cls.what + ") but problem " + i + " (" + kernel + ") is " + other + " (" + other.what
            + "); one grouped kernel runs one class");
      }
    }
    switch (cls) {
      case TILED -> {
        List<KernelLaunch> gemms = new ArrayList<>();
        List<KernelLaunch> implicit = new ArrayList<>();
        List<KernelLaunch> depthwise = new ArrayList<>();
        for (KernelLaunch p : problems) {
          (p.kernel() instanceof Gemm ? gemms : ((Conv2d) p.kernel()).isDepthwise() ? depthwise : implicit).add(p);
        }
        if (!gemms.isEmpty() && !implicit.isEmpty()) {
          tiledMix(gemms, implicit);
        } else if (!gemms.isEmpty()) {
          gemms(gemms);
        } else if (!implicit.isEmpty()) {
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
      case TOPK -> table(GroupedTopKTable.of(problems, address));
      case POOL_ND -> table(GroupedPoolNdTable.of(problems, address));
      default -> throw new IllegalStateException("unhandled " + cls);
    }
  }

  /** A group of GEMMs only: the grouped skinny kernel when every problem is skinny, else the tiled one. */
  private void gemms(List<KernelLaunch> problems) {
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

  /**
   * GEMMs beside implicit-GEMM convolutions on {@code braid_tiled_grouped_f32}: one upload holding
   * the GEMM table (tiles from 0, skinny problems on 64 x 64 tiles) followed by the convolution
   * table (tiles from the GEMMs' total, {@link GroupedConvTable#of(List, ToLongFunction, int)}),
   * one call over both tables' tiles with (gemms, gemm count, convs, conv count, first conv tile).
   */
  private void tiledMix(List<KernelLaunch> gemms, List<KernelLaunch> convs) {
    GroupedGemmTable g = GroupedGemmTable.of(gemms, address);
    GroupedConvTable c = GroupedConvTable.of(convs, address, g.totalTiles());
    byte[] gb = g.bytes(), cb = c.bytes();
    byte[] both = Arrays.copyOf(gb, gb.length + cb.length);
    System.arraycopy(cb, 0, both, gb.length, cb.length);
    long table = take(both.length);
    uploads.add(new Upload(table, both));
    calls.add(KernelCall.of("braid_tiled_grouped_f32", (long) g.totalTiles() + c.totalTiles(), TILED_THREADS, List.of(new Ptr(table),
        new I32(g.count()), new Ptr(table + gb.length), new I32(c.count()), new I32(g.totalTiles()))));
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

  void reduceMean(KernelLaunch k, ReduceMean r) {
    byte[] s = ShapeStruct.reduction(r);
    long outputs = r.outputElements();
    long count = r.reducedElements();
    if (outputs == 0 || count == 0) {
      return;
    }
    calls.add(KernelCall.of("braid_reduce_mean_f32", outputs, LaunchPacker.reductionThreads(count), List.of(
        new Ptr(addr(k, 0)), new Ptr(out(k)), new Struct("BraidShape", s), new I64(count))));
  }

  void pool(KernelLaunch k, Pool2d p) {
    long outputs = (long) p.n() * p.c() * p.outH() * p.outW();
    calls.add(KernelCall.of("braid_pool2d_f32", LaunchPacker.ceilDiv(outputs, EW_THREADS), EW_THREADS, List.of(
        new Ptr(addr(k, 0)), new Ptr(out(k)), new I32(p.mode().ordinal()), new I32(p.n()), new I32(p.c()),
        new I32(p.h()), new I32(p.w()), new I32(p.kernelH()), new I32(p.kernelW()), new I32(p.strideH()),
        new I32(p.strideW()), new I32(p.padTop()), new I32(p.padLeft()), new I32(p.padBottom()),
        new I32(p.padRight()), new I32(p.dilationH()), new I32(p.dilationW()), new I32(p.outH()),
        new I32(p.outW()), new I32(p.countIncludePad() ? 1 : 0))));
  }

  static DeviceException invalid(String message) {
    return new DeviceException(DeviceException.Reason.INVALID_ARGUMENT, message);
  }
}
