package dev.braid.bench.gpucheck;

import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.device.plan.GroupedGeometry;
import dev.braid.device.plan.KernelFamily;
import dev.braid.device.plan.KernelGeometry;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One correctness case of {@code gpucheck kernels}: a kernel (or, when {@code grouped}, a
 * super-kernel of several problems of one kind and different shapes) run on the device under test
 * and on the CPU reference with the same random inputs.
 *
 * @param name what the case exercises, for the report
 * @param problems the kernels; one unless grouped
 * @param grouped whether the problems run as one {@link dev.braid.device.GroupedLaunch}
 */
record KernelCase(String name, List<Kernel> problems, boolean grouped) {
  KernelCase {
    problems = List.copyOf(problems);
    if (problems.isEmpty() || (!grouped && problems.size() != 1)) {
      throw new IllegalArgumentException("case " + name + ": expected one kernel, or a group, got " + problems.size());
    }
  }

  static KernelCase single(String name, Kernel kernel) {
    return new KernelCase(name, List.of(kernel), false);
  }

  static KernelCase group(String name, List<? extends Kernel> kernels) {
    return new KernelCase(name, List.copyOf(kernels), true);
  }

  /** The kernel's kind: its record's name, with the op for elementwise kernels. */
  String kind() {
    Kernel k = problems.get(0);
    String base = k.getClass().getSimpleName();
    if (bf16()) {
      return base + ".BF16";
    }
    if (grouped) {
      boolean oneKind = problems.stream().allMatch(p -> p.getClass() == k.getClass());
      return "Grouped" + (oneKind ? base : KernelFamily.of(k).name());
    }
    if (k instanceof Unary u) {
      return base + "." + u.op();
    }
    if (k instanceof Binary b) {
      return base + "." + b.op();
    }
    return base;
  }

  /**
   * The CUDA kernel of braid_kernels.manifest this case is meant to reach, following the ABI's
   * dispatch (skinny GEMM below {@link KernelGeometry#SKINNY_MAX}, depthwise conv when groups equal
   * channels, the WMMA kernels for every bf16 problem; for a group, the grouped kernel(s)
   * {@link GroupedGeometry} names, joined by "+"). Informational: the device decides.
   */
  String cudaKernel() {
    Kernel k = problems.get(0);
    if (bf16()) {
      return k instanceof Gemm ? "braid_gemm_bf16" : "braid_conv2d_bf16";
    }
    if (grouped) {
      return String.join("+", GroupedGeometry.of(problems).kernels());
    }
    if (k instanceof Gemm g) {
      return KernelGeometry.isSkinny(g) ? "braid_gemm_skinny_f32" : "braid_gemm_f32";
    }
    if (k instanceof Conv2d c) {
      return c.isDepthwise() ? "braid_conv2d_depthwise_f32" : "braid_conv2d_f32";
    }
    return switch (k.getClass().getSimpleName()) {
      case "Binary" -> "braid_binary_f32";
      case "Unary" -> "braid_unary_f32";
      case "Pool2d" -> "braid_pool2d_f32";
      case "GlobalAveragePool" -> "braid_global_avg_pool_f32";
      case "Softmax" -> "braid_softmax_f32";
      case "LayerNorm" -> "braid_layernorm_f32";
      case "ReduceMean" -> "braid_reduce_mean_f32";
      case "Transpose" -> "braid_transpose_f32";
      case "Concat" -> "braid_concat_f32";
      case "Gather" -> "braid_gather_f32";
      case "BatchNorm" -> "braid_batchnorm_f32";
      case "Copy" -> "braid_copy_f32";
      case "Where" -> "braid_where_f32";
      case "Reduce" -> "braid_reduce_f32";
      case "AlongAxis" -> "braid_along_axis_f32";
      case "TopK" -> "braid_topk_f32";
      case "Remap" -> "braid_remap_f32";
      case "GatherElements" -> "braid_gather_elements_f32";
      case "GatherNd" -> "braid_gather_nd_f32";
      case "Scatter" -> ((Scatter) k).nd() ? "braid_scatter_nd_f32" : "braid_scatter_elements_f32";
      case "OneHot" -> "braid_onehot_f32";
      case "PoolNd" -> "braid_pool_nd_f32";
      case "ConvTranspose2d" -> "braid_conv_transpose_f32";
      case "ConvNd" -> "braid_conv_nd_f32";
      case "Resample" -> "braid_resample_f32";
      case "GridSample" -> "braid_grid_sample_f32";
      case "RoiAlign" -> "braid_roi_align_f32";
      default -> throw new IllegalStateException("no CUDA kernel known for " + k);
    };
  }

  /**
   * Every CUDA kernel the case reaches: {@link #cudaKernel()}, preceded for bf16 problems by
   * {@code braid_f32_to_bf16}, which converts their operands.
   */
  List<String> cudaKernels() {
    if (bf16()) {
      return List.of("braid_f32_to_bf16", cudaKernel());
    }
    return grouped ? GroupedGeometry.of(problems).kernels() : List.of(cudaKernel());
  }

  /** Whether the problems multiply in {@link Precision#BF16_FP32_ACC}. */
  boolean bf16() {
    Kernel k = problems.get(0);
    return k instanceof Gemm g && g.precision() == Precision.BF16_FP32_ACC
        || k instanceof Conv2d c && c.precision() == Precision.BF16_FP32_ACC;
  }

  /**
   * Random values for input {@code arg} of {@code kernel}, inside its domain: uniform in [-1, 1),
   * except positive bases for POW and SQRT, divisors at least 0.5 away from zero, values near 1
   * for the log-sum and product reductions, valid (possibly negative) indices for the gathers and
   * scatters, Remap's source positions (-1 for the fill value) and OneHot's indices (some out of
   * range, which give an all-off row).
   */
  static float[] inputs(Kernel kernel, int arg, SplittableRandom rnd) {
    if (kernel instanceof dev.braid.device.kernel.Resample r && arg == 1) {
      return resampleTable(r, rnd);
    }
    if (kernel instanceof dev.braid.device.kernel.RoiAlign r && arg == 1) {
      return regions(r, rnd);
    }
    if (kernel instanceof dev.braid.device.kernel.RoiAlign r && arg == 2) {
      float[] b = new float[r.rois()];
      for (int i = 0; i < b.length; i++) {
        b[i] = rnd.nextInt(r.n());
      }
      return b;
    }
    int n = (int) (kernel.argBytes(arg) / 4);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      double u = rnd.nextDouble() * 2 - 1;
      int bound = indexBound(kernel, arg);
      if (kernel instanceof Gather g && arg == 1) {
        int dim = g.data().dim(g.axis());
        v[i] = rnd.nextInt(-dim, dim);
      } else if (kernel instanceof GatherNd g && arg == 1) {
        int dim = g.data().dim(g.batchDims() + i % g.indices().dim(g.indices().rank() - 1));
        v[i] = rnd.nextInt(-dim, dim);
      } else if (bound > 0) {
        v[i] = kernel instanceof Remap ? rnd.nextInt(-1, bound) : rnd.nextInt(-bound, bound);
      } else if (kernel instanceof dev.braid.device.kernel.Reduce r
          && (r.op() == dev.braid.device.kernel.ReduceOp.LOG_SUM || r.op() == dev.braid.device.kernel.ReduceOp.PROD)) {
        v[i] = (float) (1 + 0.1 * u); // a positive sum for its log; a product of 120 factors near 1
      } else if (kernel instanceof Binary b && b.op() == BinaryOp.POW && arg == 0
          || kernel instanceof Unary un && un.op() == UnaryOp.SQRT) {
        v[i] = (float) (0.05 + Math.abs(u) * 2);
      } else if (kernel instanceof Binary b && b.op() == BinaryOp.DIV && arg == 1) {
        v[i] = (float) (Math.copySign(0.5, u) + u);
      } else if (kernel instanceof dev.braid.device.kernel.GridSample && arg == 1) {
        v[i] = (float) (u * 1.4); // positions beyond the border too, where the padding modes differ
      } else {
        v[i] = (float) u;
      }
    }
    return v;
  }

  /**
   * RoiAlign's regions (x1, y1, x2, y2) in input pixels before the spatial scale: corners from a
   * little outside the image to inside it, some regions thinner than a pixel.
   */
  private static float[] regions(dev.braid.device.kernel.RoiAlign r, SplittableRandom rnd) {
    float[] v = new float[4 * r.rois()];
    double s = r.spatialScale();
    for (int i = 0; i < r.rois(); i++) {
      double x1 = (rnd.nextDouble() * 1.2 - 0.1) * r.w() / s, y1 = (rnd.nextDouble() * 1.2 - 0.1) * r.h() / s;
      v[4 * i] = (float) x1;
      v[4 * i + 1] = (float) y1;
      v[4 * i + 2] = (float) (x1 + rnd.nextDouble() * r.w() / s);
      v[4 * i + 3] = (float) (y1 + rnd.nextDouble() * r.h() / s);
    }
    return v;
  }

  /**
   * A Resample table as ResampleTables lays it out: per axis and row, valid input indices with
   * weights in [-1, 1), and on axes of several taps some rows outside (index -1: the fill value).
   */
  private static float[] resampleTable(dev.braid.device.kernel.Resample r, SplittableRandom rnd) {
    float[] t = new float[(int) r.tableElements()];
    int at = 0;
    for (int d = 0; d < r.output().rank(); d++) {
      int taps = r.taps().get(d);
      for (int row = 0; row < r.output().dim(d); row++) {
        boolean outside = taps > 1 && rnd.nextInt(8) == 0;
        for (int k = 0; k < taps; k++, at += 2) {
          t[at] = outside ? -1 : rnd.nextInt(r.input().dim(d));
          t[at + 1] = (float) (rnd.nextDouble() * 2 - 1);
        }
      }
    }
    return t;
  }

  /** The exclusive bound of argument {@code arg}'s indices, or 0 for data (GatherNd: see above). */
  private static int indexBound(Kernel kernel, int arg) {
    if (kernel instanceof Remap r && arg == 1) {
      return r.inputElements();
    }
    if (kernel instanceof GatherElements g && arg == 1) {
      return g.data().dim(g.axis());
    }
    if (kernel instanceof Scatter sc && arg == 1) {
      return sc.nd() ? sc.data().dim(0) : sc.data().dim(sc.axis());
    }
    if (kernel instanceof OneHot h && arg == 0) {
      return h.depth() + 2;
    }
    return 0;
  }
}
