package dev.braid.device.plan;

import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Gemm;
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

/**
 * The launch geometry of the CUDA kernel Braid runs for each {@link Kernel}: the contract between
 * the planner and simulator (this class) and the CUDA C kernels (issue 4). A kernel written for
 * issue 4 either follows this table or updates it in the same change.
 *
 * <table>
 *   <caption>Tiling per kernel (float32 unless the precision says bf16)</caption>
 *   <tr><th>kernel</th><th>one block computes</th><th>threads</th><th>regs</th><th>shared bytes</th></tr>
 *   <tr><td>GEMM, {@code min(M,N) > 16}: tiled</td><td>a 64 x 64 tile of Y; K in stages of BK = 16,
 *       A and B tiles staged in shared memory; 16 x 16 threads, 4 x 4 outputs each</td>
 *       <td>256</td><td>116</td><td>2 x 16 x (64 + 4) x 4 = 8704 (rows padded by 4 floats against bank conflicts)</td></tr>
 *   <tr><td>GEMM, {@code min(M,N) <= 16}: skinny (batch-1 matrix-vector)</td><td>32 positions of the
 *       long dimension {@code L = max(M,N)} times all {@code S = min(M,N)} positions of the short one;
 *       lane = long position, the 4 warps split K into interleaved slices, each thread holds S
 *       accumulators, then a cross-warp reduction in shared memory</td>
 *       <td>128</td><td>118</td><td>4 x 16 x 32 x 4 = 8192</td></tr>
 *   <tr><td>Conv2d, not depthwise: implicit GEMM</td><td>a 64 x 64 tile of the GEMM with
 *       {@code M = N*OH*OW} (output pixels), {@code N = K/groups} (output channels),
 *       {@code K = C/groups*KH*KW}, per group; im2col addresses computed on the fly, bias and
 *       activation in the epilogue</td><td>256</td><td>116</td><td>8704</td></tr>
 *   <tr><td>GEMM and Conv2d (any groups, depthwise too) in {@link Precision#BF16_FP32_ACC}: WMMA
 *       tensor cores</td><td>a 64 x 64 tile of Y (conv: of its implicit GEMM, per group); 4 warps,
 *       each 32 x 32 as 2 x 2 fragments of 16 x 16 x 16; K in stages of 16 (M, N padded to 64, K to
 *       16); bf16 A/B stages then a 64 x 64 float tile for the epilogue in shared memory</td>
 *       <td>128</td><td>162 (GEMM), 128 (conv)</td><td>2 x 64 x (16 + 8) x 2 + 16 x (64 + 8) x 2
 *       + 64 x (64 + 4) x 4 = 22784</td></tr>
 *   <tr><td>depthwise Conv2d</td><td>256 outputs, one thread each</td><td>256</td><td>32</td><td>0</td></tr>
 *   <tr><td>Unary, Binary, BatchNorm; Copy, Transpose, Concat, Gather</td>
 *       <td>1024 output elements, 4 per thread</td><td>256</td><td>32</td><td>0</td></tr>
 *   <tr><td>Pool2d</td><td>256 outputs, one thread each</td><td>256</td><td>32</td><td>0</td></tr>
 *   <tr><td>GlobalAveragePool</td><td>8 rows, one warp each (shuffle reduction)</td><td>256</td><td>32</td><td>0</td></tr>
 *   <tr><td>Softmax, LayerNorm, ReduceMean</td><td>one row (fibre, output element): threads
 *       {@code clamp(nextPow2(rowLength), 32, 256)}, block-wide reductions through one float
 *       (Softmax, LayerNorm: two) per warp in shared memory</td><td>32..256</td><td>32</td>
 *       <td>4 or 8 per warp</td></tr>
 * </table>
 *
 * <p>Invariants: {@code blocks >= 1} for every kernel, also when it has no elements; a tiled
 * kernel's padded work {@link #issuedFlops} is at least {@link Kernel#flops()}. Register counts
 * are the largest {@code ptxas -v} figure (sm_90) of the kernels of the row, as recorded in
 * {@code braid_kernels.manifest} (braid_gemm_f32 116, braid_conv2d_f32 80, grouped 76/113,
 * skinny 118); the bf16 kernels' are their own (braid_gemm_bf16 162, braid_conv2d_bf16 128).
 * KernelGeometryManifestTest keeps them equal. The bf16 GEMM has no skinny variant and the bf16
 * convolution no depthwise one: every bf16 problem runs on the 64 x 64 WMMA tiles.
 *
 * <p>This table is for a kernel launched alone. A grouped launch runs a grouped kernel with its own
 * registers and shared memory (and, for a GEMM group, possibly another tiling): its footprint and
 * each problem's blocks are {@link GroupedGeometry#of}'s, not the largest of these.
 */
public final class KernelGeometry {
  /** Output tile edge of the tiled GEMM and implicit-GEMM kernels. */
  public static final int TILE = 64;
  /** K depth of one shared-memory stage of the tiled kernels. */
  public static final int TILE_K = 16;
  /** The largest short dimension the skinny GEMM kernel takes. */
  public static final int SKINNY_MAX = 16;
  /** Long-dimension positions one skinny GEMM block covers (one warp's lanes). */
  public static final int SKINNY_SPAN = 32;
  /** Elements one elementwise or layout thread handles. */
  public static final int ELEMENTS_PER_THREAD = 4;

  private static final int TILED_THREADS = 256;
  private static final int TILED_REGISTERS = 116;
  private static final int TILED_SHARED_BYTES = 2 * TILE_K * (TILE + 4) * 4;
  private static final int SKINNY_THREADS = 128;
  private static final int SKINNY_REGISTERS = 118;
  private static final int SKINNY_SHARED_BYTES = (SKINNY_THREADS / 32) * SKINNY_MAX * SKINNY_SPAN * 4;
  /** braid_gemm_bf16 / braid_conv2d_bf16: 4 warps (BRAID_WMMA_THREADS). */
  private static final int WMMA_THREADS = 128;
  private static final int WMMA_GEMM_REGISTERS = 162;
  private static final int WMMA_CONV_REGISTERS = 128;
  /** One WMMA k-step. */
  private static final int WMMA_K = 16;
  /** BraidWmmaSmem: bf16 A 64 x (16 + 8) and B 16 x (64 + 8), then the float 64 x (64 + 4) epilogue tile. */
  private static final int WMMA_SHARED_BYTES =
      TILE * (TILE_K + 8) * 2 + TILE_K * (TILE + 8) * 2 + TILE * (TILE + 4) * 4;
  private static final int SIMPLE_THREADS = 256;
  private static final int SIMPLE_REGISTERS = 32;

  private KernelGeometry() {}

  /** The grid and per-block resources of the CUDA kernel launched for {@code kernel}. */
  public static LaunchGeometry of(Kernel kernel) {
    if (InterpGeometry.handles(kernel)) {
      return InterpGeometry.of(kernel);
    }
    if (TensorGeometry.handles(kernel)) {
      return TensorGeometry.of(kernel);
    }
    if (kernel instanceof Gemm g) {
      if (g.precision() == Precision.BF16_FP32_ACC) {
        return new LaunchGeometry(blocks((long) g.batch() * ceilDiv(g.m(), TILE) * ceilDiv(g.n(), TILE)),
            WMMA_THREADS, WMMA_GEMM_REGISTERS, WMMA_SHARED_BYTES);
      }
      if (isSkinny(g)) {
        return new LaunchGeometry(blocks((long) g.batch() * ceilDiv(Math.max(g.m(), g.n()), SKINNY_SPAN)),
            SKINNY_THREADS, SKINNY_REGISTERS, SKINNY_SHARED_BYTES);
      }
      return tiled((long) g.batch() * ceilDiv(g.m(), TILE) * ceilDiv(g.n(), TILE));
    }
    if (kernel instanceof Conv2d c) {
      if (c.precision() == Precision.BF16_FP32_ACC) {
        long m = (long) c.n() * c.outH() * c.outW();
        return new LaunchGeometry(blocks((long) c.groups() * ceilDiv(m, TILE) * ceilDiv(c.k() / c.groups(), TILE)),
            WMMA_THREADS, WMMA_CONV_REGISTERS, WMMA_SHARED_BYTES);
      }
      if (c.isDepthwise()) {
        return simple(ceilDiv(outputs(c), SIMPLE_THREADS));
      }
      long m = (long) c.n() * c.outH() * c.outW();
      return tiled((long) c.groups() * ceilDiv(m, TILE) * ceilDiv(c.k() / c.groups(), TILE));
    }
    if (kernel instanceof Pool2d p) {
      return simple(ceilDiv((long) p.n() * p.c() * p.outH() * p.outW(), SIMPLE_THREADS));
    }
    if (kernel instanceof GlobalAveragePool p) {
      return simple(ceilDiv(p.channels(), SIMPLE_THREADS / 32));
    }
    if (kernel instanceof Softmax s) {
      return rowWise((long) s.outer() * s.inner(), s.axis(), 2);
    }
    if (kernel instanceof LayerNorm l) {
      return rowWise(l.rows(), l.cols(), 2);
    }
    if (kernel instanceof ReduceMean r) {
      return rowWise(r.outputElements(), r.reducedElements(), 1);
    }
    return simple(ceilDiv(elementwiseOutputs(kernel), (long) SIMPLE_THREADS * ELEMENTS_PER_THREAD));
  }

  /**
   * FLOPs the launched grid executes: {@link Kernel#flops()} for one-thread-per-output kernels; for
   * tiled GEMM and convolution, the padded tiles' multiply-adds (threads past the edge of M or N
   * still run the K loop, predicated), which is what occupies the SM. The bf16 WMMA kernels also
   * pad K to their 16-deep step (the fragments are zero-filled past the edge).
   */
  public static long issuedFlops(Kernel kernel) {
    if (kernel instanceof Gemm g) {
      long bias = g.flops() - 2L * g.batch() * g.m() * g.n() * g.k();
      if (g.precision() == Precision.BF16_FP32_ACC) {
        return 2L * g.batch() * ceilDiv(g.m(), TILE) * TILE * ceilDiv(g.n(), TILE) * TILE
            * ceilDiv(g.k(), WMMA_K) * WMMA_K + bias;
      }
      if (isSkinny(g)) {
        long longPadded = ceilDiv(Math.max(g.m(), g.n()), SKINNY_SPAN) * SKINNY_SPAN;
        return 2L * g.batch() * longPadded * Math.min(g.m(), g.n()) * g.k() + bias;
      }
      return 2L * g.batch() * ceilDiv(g.m(), TILE) * TILE * ceilDiv(g.n(), TILE) * TILE * g.k() + bias;
    }
    if (kernel instanceof Conv2d c && (!c.isDepthwise() || c.precision() == Precision.BF16_FP32_ACC)) {
      long m = (long) c.n() * c.outH() * c.outW();
      long kPerGroup = c.k() / c.groups();
      long depth = (long) c.channelsPerGroup() * c.kernelH() * c.kernelW();
      if (c.precision() == Precision.BF16_FP32_ACC) {
        depth = ceilDiv(depth, WMMA_K) * WMMA_K;
      }
      long bias = c.hasBias() ? outputs(c) : 0;
      return 2L * c.groups() * ceilDiv(m, TILE) * TILE * ceilDiv(kPerGroup, TILE) * TILE * depth + bias;
    }
    return kernel.flops();
  }

  /**
   * Whether a GEMM runs on the skinny (matrix-vector) kernel rather than the 64 x 64 tiles; never
   * in bf16, which has only the tiled WMMA kernel.
   */
  public static boolean isSkinny(Gemm g) {
    return g.precision() == Precision.FP32 && Math.min(g.m(), g.n()) <= SKINNY_MAX;
  }

  private static long outputs(Conv2d c) {
    return (long) c.n() * c.k() * c.outH() * c.outW();
  }

  private static long elementwiseOutputs(Kernel kernel) {
    if (kernel instanceof Unary u) {
      return u.elements();
    }
    if (kernel instanceof Binary b) {
      return b.out().size();
    }
    if (kernel instanceof BatchNorm b) {
      return (long) b.n() * b.channels() * b.spatial();
    }
    if (kernel instanceof Copy c) {
      return c.elements();
    }
    if (kernel instanceof Transpose t) {
      return t.input().size();
    }
    if (kernel instanceof Concat c) {
      return c.output().size();
    }
    if (kernel instanceof Gather g) {
      return (long) g.outer() * g.indexCount() * g.inner();
    }
    if (kernel instanceof Where w) {
      return w.out().size();
    }
    throw new IllegalArgumentException("no launch geometry for " + kernel);
  }

  private static LaunchGeometry tiled(long blocks) {
    return new LaunchGeometry(blocks(blocks), TILED_THREADS, TILED_REGISTERS, TILED_SHARED_BYTES);
  }

  private static LaunchGeometry simple(long blocks) {
    return new LaunchGeometry(blocks(blocks), SIMPLE_THREADS, SIMPLE_REGISTERS, 0);
  }

  /** One block per row of {@code rowLength}; {@code floatsPerWarp} partial results per warp in shared memory. */
  private static LaunchGeometry rowWise(long rows, long rowLength, int floatsPerWarp) {
    int threads = (int) Math.min(256, Math.max(32, Long.highestOneBit(Math.max(1, rowLength - 1)) << 1));
    return new LaunchGeometry(blocks(rows), threads, SIMPLE_REGISTERS, threads / 32 * floatsPerWarp * 4);
  }

  private static int blocks(long blocks) {
    if (blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("grid of " + blocks + " blocks exceeds 2^31 - 1");
    }
    return (int) Math.max(1, blocks);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
