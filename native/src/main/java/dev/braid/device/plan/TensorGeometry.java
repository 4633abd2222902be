package dev.braid.device.plan;

import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.ConvNd;
import dev.braid.device.kernel.ConvTranspose2d;
import dev.braid.device.kernel.DirectConvolution;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.TopK;

/**
 * Launch geometry of issue 12's kernels (tensor.cuh), with each kernel's own {@code ptxas -v}
 * registers (sm_90, braid_kernels.manifest; TensorGeometryManifestTest keeps them equal):
 *
 * <table>
 *   <caption>kernel, block, registers, shared bytes</caption>
 *   <tr><td>Reduce (braid_reduce_f32), AlongAxis (braid_along_axis_f32)</td><td>one output / fibre per
 *       block of clamp(nextPow2(length), 32, 256) threads</td><td>46, 32</td><td>one float and one int
 *       per warp (arg reductions)</td></tr>
 *   <tr><td>TopK, Remap, GatherElements, GatherND, Scatter, OneHot, PoolNd</td><td>1024 elements
 *       (fibres for TopK, data elements for Scatter's copy) per block of 256</td>
 *       <td>32, 16, 36, 28, 40, 34, 40</td><td>0</td></tr>
 *   <tr><td>ConvTranspose2d (braid_conv_transpose_f32), ConvNd (braid_conv_nd_f32)</td><td>1024 output
 *       elements per block of 256</td><td>60, 64</td><td>0</td></tr>
 * </table>
 */
final class TensorGeometry {
  private TensorGeometry() {}

  static final int REDUCE_REGISTERS = 46;
  static final int ALONG_AXIS_REGISTERS = 32;
  static final int TOPK_REGISTERS = 32;
  static final int REMAP_REGISTERS = 16;
  static final int GATHER_ELEMENTS_REGISTERS = 36;
  static final int GATHER_ND_REGISTERS = 28;
  /** braid_scatter_elements_f32 (40) and braid_scatter_nd_f32 (32): the larger. */
  static final int SCATTER_REGISTERS = 40;
  static final int ONEHOT_REGISTERS = 34;
  static final int POOL_ND_REGISTERS = 40;
  static final int CONV_TRANSPOSE_REGISTERS = 60;
  static final int CONV_ND_REGISTERS = 64;
  private static final int THREADS = 256;
  private static final int ELEMENTS_PER_BLOCK = THREADS * KernelGeometry.ELEMENTS_PER_THREAD;

  static boolean handles(Kernel k) {
    return k instanceof Reduce || k instanceof AlongAxis || k instanceof TopK || k instanceof Remap
        || k instanceof GatherElements || k instanceof GatherNd || k instanceof Scatter || k instanceof OneHot
        || k instanceof PoolNd || k instanceof DirectConvolution;
  }

  static LaunchGeometry of(Kernel k) {
    if (k instanceof Reduce r) {
      return rowWise(r.outputElements(), r.reducedElements(), REDUCE_REGISTERS);
    }
    if (k instanceof AlongAxis a) {
      return rowWise((long) a.outer() * a.inner(), a.axis(), ALONG_AXIS_REGISTERS);
    }
    if (k instanceof TopK t) {
      return flat((long) t.outer() * t.inner(), TOPK_REGISTERS);
    }
    if (k instanceof Remap r) {
      return flat(r.outputElements(), REMAP_REGISTERS);
    }
    if (k instanceof GatherElements g) {
      return flat(g.indices().size(), GATHER_ELEMENTS_REGISTERS);
    }
    if (k instanceof GatherNd g) {
      return flat(g.outputElements(), GATHER_ND_REGISTERS);
    }
    if (k instanceof Scatter s) {
      return flat(s.data().size(), SCATTER_REGISTERS);
    }
    if (k instanceof OneHot h) {
      return flat((long) h.outer() * h.depth() * h.inner(), ONEHOT_REGISTERS);
    }
    if (k instanceof PoolNd p) {
      return flat(p.outputElements(), POOL_ND_REGISTERS);
    }
    if (k instanceof ConvTranspose2d c) {
      return flat((long) c.n() * c.m() * c.outH() * c.outW(), CONV_TRANSPOSE_REGISTERS);
    }
    if (k instanceof ConvNd c) {
      return flat(c.outputElements(), CONV_ND_REGISTERS);
    }
    throw new IllegalArgumentException("no tensor-kernel geometry for " + k);
  }

  private static LaunchGeometry flat(long elements, int registers) {
    return new LaunchGeometry(blocks((elements + ELEMENTS_PER_BLOCK - 1) / ELEMENTS_PER_BLOCK), THREADS, registers, 0);
  }

  /** One block per row; a float and an int per warp of shared scratch (the arg reductions'). */
  private static LaunchGeometry rowWise(long rows, long rowLength, int registers) {
    int threads = (int) Math.min(256, Math.max(32, Long.highestOneBit(Math.max(1, rowLength - 1)) << 1));
    return new LaunchGeometry(blocks(rows), threads, registers, threads / 32 * 8);
  }

  private static int blocks(long blocks) {
    if (blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("grid of " + blocks + " blocks exceeds 2^31 - 1");
    }
    return (int) Math.max(1, blocks);
  }
}
