package dev.braid.device.plan;

import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.TopK;
import dev.braid.device.kernel.Unary;
import java.util.ArrayList;
import java.util.List;

/**
 * How a grouped launch (super-kernel) runs on the GPU: the CUDA kernel(s) of braid_kernels.fatbin
 * that take its problems, the per-block resources of that kernel (ptxas -v, sm_90, as
 * braid_kernels.manifest records them; KernelGeometryManifestTest keeps them equal), and each
 * problem's share of the grid. This, not the largest {@link KernelGeometry#of} of the problems, is
 * the grouped launch's real footprint: the grouped kernels stage their problem entry in shared
 * memory and carry every class member's code, so their registers and shared bytes differ from the
 * single-problem kernels'.
 *
 * <table>
 *   <caption>Grouped kernels (float32)</caption>
 *   <tr><th>class</th><th>kernel</th><th>one block</th><th>threads</th><th>regs</th><th>shared bytes</th></tr>
 *   <tr><td>GEMM, every problem {@code min(M,N) <= 16}</td><td>braid_gemm_skinny_grouped_f32</td>
 *       <td>32 long positions</td><td>128</td><td>128</td><td>8196</td></tr>
 *   <tr><td>GEMM, otherwise (skinny problems too)</td><td>braid_gemm_grouped_f32</td><td>a 64 x 64 tile</td>
 *       <td>256</td><td>76</td><td>8708</td></tr>
 *   <tr><td>Conv2d, not depthwise</td><td>braid_conv2d_grouped_f32</td><td>a 64 x 64 implicit-GEMM tile</td>
 *       <td>256</td><td>113</td><td>8708</td></tr>
 *   <tr><td>GEMMs beside Conv2d (not depthwise)</td><td>braid_tiled_grouped_f32</td><td>a 64 x 64 tile of
 *       either</td><td>256</td><td>128</td><td>8708</td></tr>
 *   <tr><td>depthwise Conv2d, any window/stride/dilation</td><td>braid_conv2d_depthwise_grouped_f32</td>
 *       <td>256 outputs</td><td>256</td><td>40</td><td>132</td></tr>
 *   <tr><td>Unary, Binary, BatchNorm</td><td>braid_elementwise_grouped_f32</td><td>1024 outputs</td>
 *       <td>256</td><td>40</td><td>212</td></tr>
 *   <tr><td>Pool2d, GlobalAveragePool</td><td>braid_pool_grouped_f32</td><td>256 outputs; 8 rows</td>
 *       <td>256</td><td>32</td><td>100</td></tr>
 *   <tr><td>Softmax, LayerNorm, ReduceMean, Reduce, AlongAxis (not integral)</td><td>braid_rows_grouped_f32</td>
 *       <td>one row</td><td>largest clamp(nextPow2(row), 32, 256) of the group</td><td>48</td><td>276</td></tr>
 *   <tr><td>TopK</td><td>braid_topk_grouped_f32</td><td>256 fibres</td><td>256</td><td>32</td><td>52</td></tr>
 *   <tr><td>PoolNd</td><td>braid_pool_nd_grouped_f32</td><td>256 outputs</td><td>256</td><td>48</td>
 *       <td>188</td></tr>
 * </table>
 *
 * <p>A GEMM group of skinny problems only runs on the grouped skinny kernel; one that mixes skinny
 * and tiled shapes runs every problem on 64 x 64 tiles, so the skinny ones' blocks and
 * {@link #issuedFlops} are then the tiles'. A group of GEMMs beside dense convolutions (one key,
 * {@code GEMM/FLOAT/tile64x64}) runs on {@code braid_tiled_grouped_f32}, every problem with the
 * blocks and issued FLOPs it has alone on its class's grouped kernel. A Conv2d group holding
 * dense and depthwise problems runs two kernels; the footprint is then the larger of the two.
 * Every problem keeps at least one block, as {@link KernelGeometry#of} (the CUDA packer leaves
 * empty problems out of the table; the difference is one idle block).
 *
 * @param kernels the CUDA kernel(s) the group launches, in stream order
 * @param footprint the whole grid (every problem's blocks) and the per-block resources
 * @param problems per problem: its blocks, with the footprint's per-block resources
 * @param issuedFlops per problem: FLOPs its blocks execute (padded tiles for GEMM and dense conv)
 */
public record GroupedGeometry(List<String> kernels, LaunchGeometry footprint, List<LaunchGeometry> problems,
    long[] issuedFlops) {
  /** braid_gemm_grouped_f32 (ptxas -v, sm_90). */
  static final int GEMM_REGISTERS = 76, GEMM_SHARED_BYTES = 8708;
  /** braid_gemm_skinny_grouped_f32. */
  static final int SKINNY_THREADS = 128, SKINNY_REGISTERS = 128, SKINNY_SHARED_BYTES = 8196;
  /** braid_conv2d_grouped_f32. */
  static final int CONV_REGISTERS = 113, CONV_SHARED_BYTES = 8708;
  /** braid_tiled_grouped_f32: GEMMs beside convolutions, both bodies in one kernel. */
  static final int TILED_REGISTERS = 128, TILED_SHARED_BYTES = 8708;
  /** braid_conv2d_depthwise_grouped_f32: the BraidConvProblem entry (128 B) and its index in shared memory. */
  static final int DEPTHWISE_REGISTERS = 40, DEPTHWISE_SHARED_BYTES = 132;
  /** braid_elementwise_grouped_f32: the 208-byte entry and its index. */
  static final int ELEMENTWISE_REGISTERS = 40, ELEMENTWISE_SHARED_BYTES = 212;
  /** braid_pool_grouped_f32: the 96-byte entry and its index. */
  static final int POOL_REGISTERS = 32, POOL_SHARED_BYTES = 100;
  /**
   * braid_rows_grouped_f32: the 208-byte entry, its index, 8 floats and 8 ints of reduction scratch
   * (the arg reductions' indices); the Reduce and AlongAxis bodies raised its registers from 40.
   */
  static final int ROWS_REGISTERS = 48, ROWS_SHARED_BYTES = 276;
  /** braid_topk_grouped_f32: the 48-byte entry and its index. */
  static final int TOPK_REGISTERS = 32, TOPK_SHARED_BYTES = 52;
  /** braid_pool_nd_grouped_f32: the 184-byte entry and its index. */
  static final int POOL_ND_REGISTERS = 48, POOL_ND_SHARED_BYTES = 188;
  private static final int THREADS = 256;
  private static final int ELEMENTS_PER_BLOCK = 1024;

  public GroupedGeometry {
    kernels = List.copyOf(kernels);
    problems = List.copyOf(problems);
    issuedFlops = issuedFlops.clone();
  }

  @Override
  public long[] issuedFlops() {
    return issuedFlops.clone();
  }

  /**
   * The geometry of one grouped launch of {@code kernels}, all of one fusion class (float32).
   *
   * @throws IllegalArgumentException when the list is empty, mixes classes, holds a bf16 problem,
   *     or a kernel with no grouped kernel (Transpose, Concat, Gather, Copy)
   */
  public static GroupedGeometry of(List<? extends Kernel> kernels) {
    if (kernels.isEmpty()) {
      throw new IllegalArgumentException("a grouped launch needs at least one problem");
    }
    Kernel first = kernels.get(0);
    List<LaunchGeometry> shares = new ArrayList<>();
    long[] flops = new long[kernels.size()];
    List<String> fns = new ArrayList<>();
    int threads = 1, registers = 1, shared = 0;
    boolean allSkinny = kernels.stream().allMatch(k -> k instanceof Gemm g && KernelGeometry.isSkinny(g));
    boolean tiledMix = kernels.stream().anyMatch(k -> k instanceof Gemm)
        && kernels.stream().anyMatch(k -> k instanceof Conv2d c && !c.isDepthwise());
    for (int i = 0; i < kernels.size(); i++) {
      Kernel k = kernels.get(i);
      Share s = share(k, allSkinny, tiledMix);
      if (!classOf(first).equals(classOf(k))) {
        throw new IllegalArgumentException("grouped launch mixes " + first + " (problem 0) with " + k + " (problem " + i
            + "): no grouped kernel takes both");
      }
      if (!fns.contains(s.kernel)) {
        fns.add(s.kernel);
      }
      shares.add(s.geometry);
      flops[i] = s.issuedFlops;
      threads = Math.max(threads, s.geometry.threadsPerBlock());
      registers = Math.max(registers, s.geometry.registersPerThread());
      shared = Math.max(shared, s.geometry.sharedMemoryBytes());
    }
    long total = 0;
    for (LaunchGeometry g : shares) {
      total += g.blocks();
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("grouped launch of " + total + " blocks exceeds 2^31 - 1");
    }
    List<LaunchGeometry> problems = new ArrayList<>();
    for (LaunchGeometry g : shares) {
      problems.add(new LaunchGeometry(g.blocks(), threads, registers, shared));
    }
    return new GroupedGeometry(fns, new LaunchGeometry((int) total, threads, registers, shared), problems, flops);
  }

  /** Total blocks of the grid. */
  public int totalBlocks() {
    return footprint.blocks();
  }

  private record Share(String kernel, LaunchGeometry geometry, long issuedFlops) {}

  private static Share share(Kernel k, boolean allSkinny, boolean tiledMix) {
    if (k instanceof Gemm g) {
      requireFp32(g, g.precision());
      if (allSkinny) {
        return new Share("braid_gemm_skinny_grouped_f32", geometry(KernelGeometry.of(g).blocks(),
            SKINNY_THREADS, SKINNY_REGISTERS, SKINNY_SHARED_BYTES), KernelGeometry.issuedFlops(g));
      }
      long tiles = (long) g.batch() * ceilDiv(g.m(), KernelGeometry.TILE) * ceilDiv(g.n(), KernelGeometry.TILE);
      long bias = g.flops() - 2L * g.batch() * g.m() * g.n() * g.k();
      long issued = 2L * g.batch() * ceilDiv(g.m(), KernelGeometry.TILE) * KernelGeometry.TILE
          * ceilDiv(g.n(), KernelGeometry.TILE) * KernelGeometry.TILE * g.k() + bias;
      return tiledMix
          ? new Share("braid_tiled_grouped_f32", geometry(tiles, THREADS, TILED_REGISTERS, TILED_SHARED_BYTES), issued)
          : new Share("braid_gemm_grouped_f32", geometry(tiles, THREADS, GEMM_REGISTERS, GEMM_SHARED_BYTES), issued);
    }
    if (k instanceof Conv2d c) {
      requireFp32(c, c.precision());
      if (c.isDepthwise()) {
        long outputs = (long) c.n() * c.k() * c.outH() * c.outW();
        return new Share("braid_conv2d_depthwise_grouped_f32",
            geometry(ceilDiv(outputs, THREADS), THREADS, DEPTHWISE_REGISTERS, DEPTHWISE_SHARED_BYTES), c.flops());
      }
      return tiledMix
          ? new Share("braid_tiled_grouped_f32", geometry(KernelGeometry.of(c).blocks(), THREADS, TILED_REGISTERS,
              TILED_SHARED_BYTES), KernelGeometry.issuedFlops(c))
          : new Share("braid_conv2d_grouped_f32", geometry(KernelGeometry.of(c).blocks(), THREADS, CONV_REGISTERS,
              CONV_SHARED_BYTES), KernelGeometry.issuedFlops(c));
    }
    if (k instanceof Unary || k instanceof Binary || k instanceof BatchNorm) {
      long n = k instanceof Unary u ? u.elements() : k instanceof Binary b ? b.out().size()
          : (long) ((BatchNorm) k).n() * ((BatchNorm) k).channels() * ((BatchNorm) k).spatial();
      return new Share("braid_elementwise_grouped_f32",
          geometry(ceilDiv(n, ELEMENTS_PER_BLOCK), THREADS, ELEMENTWISE_REGISTERS, ELEMENTWISE_SHARED_BYTES), k.flops());
    }
    if (k instanceof Pool2d || k instanceof GlobalAveragePool) {
      return new Share("braid_pool_grouped_f32",
          geometry(KernelGeometry.of(k).blocks(), THREADS, POOL_REGISTERS, POOL_SHARED_BYTES), k.flops());
    }
    if (k instanceof Softmax || k instanceof LayerNorm || k instanceof ReduceMean || k instanceof Reduce
        || k instanceof AlongAxis) {
      LaunchGeometry single = KernelGeometry.of(k);
      return new Share("braid_rows_grouped_f32",
          geometry(single.blocks(), single.threadsPerBlock(), ROWS_REGISTERS, ROWS_SHARED_BYTES), k.flops());
    }
    if (k instanceof TopK t) {
      return new Share("braid_topk_grouped_f32", geometry(ceilDiv((long) t.outer() * t.inner(), THREADS), THREADS,
          TOPK_REGISTERS, TOPK_SHARED_BYTES), k.flops());
    }
    if (k instanceof PoolNd p) {
      return new Share("braid_pool_nd_grouped_f32", geometry(ceilDiv(p.outputElements(), THREADS), THREADS,
          POOL_ND_REGISTERS, POOL_ND_SHARED_BYTES), k.flops());
    }
    throw new IllegalArgumentException("no grouped CUDA kernel for " + k.getClass().getSimpleName() + " (" + k
        + "): Transpose, Concat, Gather and Copy launch singly");
  }

  /**
   * The grouped kernel's class: the kernel's {@link KernelFamily}, GEMMs, dense and depthwise
   * convolutions sharing one (GEMMs and dense convolutions on one kernel, depthwise ones on a
   * second kernel of the same launch); TopK and PoolNd, whose families they share with the rows and
   * pool classes, their own. Layout kernels: {@link #share} refuses them first.
   */
  private static String classOf(Kernel k) {
    if (k instanceof TopK || k instanceof PoolNd) {
      return k.getClass().getSimpleName();
    }
    KernelFamily f = KernelFamily.of(k);
    return (f == KernelFamily.DEPTHWISE_CONV2D || f == KernelFamily.CONV2D ? KernelFamily.GEMM : f).name();
  }

  private static void requireFp32(Kernel k, Precision p) {
    if (p != Precision.FP32) {
      throw new IllegalArgumentException(k + " is " + p + ": there is no grouped bf16 kernel");
    }
  }

  private static LaunchGeometry geometry(long blocks, int threads, int registers, int shared) {
    if (blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("grid of " + blocks + " blocks exceeds 2^31 - 1");
    }
    return new LaunchGeometry((int) Math.max(1, blocks), threads, registers, shared);
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}
