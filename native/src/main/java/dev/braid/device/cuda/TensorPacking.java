package dev.braid.device.cuda;

import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.KernelParam.F32;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cuda.KernelParam.I64;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.cuda.KernelParam.Struct;
import dev.braid.device.cuda.PackedLaunch.StatusCheck;
import dev.braid.device.cuda.PackedLaunch.Upload;
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
import dev.braid.model.Shape;
import java.util.List;

/**
 * The calls of issue 12's single kernels (reduce.cuh: {@link Reduce}, {@link AlongAxis}; tensor.cuh:
 * {@link TopK}, {@link Remap}, {@link GatherElements}, {@link GatherNd}, {@link Scatter} (a copy,
 * then the updates), {@link OneHot}, {@link PoolNd}, and the direct convolutions {@link ConvTranspose2d} and
 * {@link ConvNd}). A kernel that checks run-time values (indices, integral
 * results) gets a zeroed status word and a {@link StatusCheck} that fails the launch with the
 * reason when the word is set. Reduce and AlongAxis that are not integral also run in the rows
 * class's grouped kernel ({@link GroupedRowTable}), TopK and PoolNd in their own classes' grouped
 * kernels ({@link GroupedTopKTable}, {@link GroupedPoolNdTable}); the others have no grouped kernel.
 */
final class TensorPacking {
  private TensorPacking() {}

  static boolean handles(Kernel k) {
    return k instanceof Reduce || k instanceof AlongAxis || k instanceof TopK || k instanceof Remap
        || k instanceof GatherElements || k instanceof GatherNd || k instanceof Scatter || k instanceof OneHot
        || k instanceof PoolNd || k instanceof DirectConvolution;
  }

  static void pack(LaunchBuilder b, KernelLaunch k) {
    Kernel kernel = k.kernel();
    if (kernel instanceof Reduce r) {
      reduce(b, k, r);
    } else if (kernel instanceof AlongAxis a) {
      long fibres = (long) a.outer() * a.inner();
      if (fibres > 0 && a.axis() > 0) {
        long status = a.integral() ? status(b, a + ": a partial sum beyond 2^24 (fibre = word - 1), which an integer"
            + " carried as float32 cannot hold exactly") : 0;
        b.calls.add(KernelCall.of("braid_along_axis_f32", fibres, LaunchPacker.reductionThreads(a.axis()), List.of(
            new Ptr(b.addr(k, 0)), new Ptr(b.out(k)), new I32(a.axis()), new I32(a.inner()), new I32(a.op().ordinal()),
            new Ptr(status))));
      }
    } else if (kernel instanceof TopK t) {
      long fibres = (long) t.outer() * t.inner();
      if (t.k() > 0) {
        b.elementwise("braid_topk_f32", fibres, List.of(new Ptr(b.addr(k, 0)), new Ptr(b.out(k)), new I64(fibres),
            new I32(t.axis()), new I32(t.inner()), new I32(t.k()), new I32(t.largest() ? 1 : 0),
            new I32(t.indices() ? 1 : 0)));
      }
    } else if (kernel instanceof Remap r) {
      if (r.outputElements() > 0) {
        long status = status(b, r + ": map entry (word - 1) not an integer in [-1, " + r.inputElements() + ")");
        b.elementwise("braid_remap_f32", r.outputElements(), List.of(new Ptr(b.addr(k, 0)), new Ptr(b.addr(k, 1)),
            new Ptr(b.out(k)), new I64(r.outputElements()), new F32(r.fill()), new I32(r.inputElements()),
            new Ptr(status)));
      }
    } else if (kernel instanceof GatherElements g) {
      gatherElements(b, k, g);
    } else if (kernel instanceof GatherNd g) {
      gatherNd(b, k, g);
    } else if (kernel instanceof Scatter s) {
      scatter(b, k, s);
    } else if (kernel instanceof OneHot h) {
      long n = (long) h.outer() * h.depth() * h.inner();
      b.elementwise("braid_onehot_f32", n, List.of(new Ptr(b.addr(k, 0)), new Ptr(b.out(k)), new I64(n),
          new I32(h.depth()), new I32(h.inner()), new F32(h.off()), new F32(h.on())));
    } else if (kernel instanceof PoolNd p) {
      poolNd(b, k, p);
    } else if (kernel instanceof ConvTranspose2d c) {
      long n = (long) c.n() * c.m() * c.outH() * c.outW();
      b.elementwise("braid_conv_transpose_f32", n, List.of(new Ptr(b.addr(k, 0)), new Ptr(b.addr(k, 1)),
          new Ptr(c.hasBias() ? b.addr(k, 2) : 0), new Ptr(b.out(k)), new I64(n), new I32(c.c()), new I32(c.h()),
          new I32(c.w()), new I32(c.m()), new I32(c.kernelH()), new I32(c.kernelW()), new I32(c.strideH()),
          new I32(c.strideW()), new I32(c.padTop()), new I32(c.padLeft()), new I32(c.dilationH()),
          new I32(c.dilationW()), new I32(c.groups()), new I32(c.outH()), new I32(c.outW())));
    } else if (kernel instanceof ConvNd c) {
      convNd(b, k, c);
    } else {
      throw new IllegalArgumentException("not a tensor kernel: " + kernel);
    }
  }

  /** A zeroed status word whose non-zero value fails the launch with {@code failure}. */
  private static long status(LaunchBuilder b, String failure) {
    long status = b.take(4);
    b.uploads.add(new Upload(status, new byte[4]));
    b.checks.add(new StatusCheck(status, failure));
    return status;
  }

  private static void reduce(LaunchBuilder b, KernelLaunch k, Reduce r) {
    Shape in = r.input();
    ShapeStruct.checkRank(r, in.rank());
    long outputs = r.outputElements(), count = r.reducedElements();
    if (outputs == 0) {
      return;
    }
    if (count == 0) {
      throw LaunchBuilder.invalid(r + ": a reduction over an empty axis has no CUDA kernel");
    }
    byte[] s = ShapeStruct.reduction(r);
    long status = r.integral() ? status(b, r + ": output (word - 1) beyond 2^24, which an integer carried as"
        + " float32 cannot hold exactly") : 0;
    b.calls.add(KernelCall.of("braid_reduce_f32", outputs, LaunchPacker.reductionThreads(count), List.of(
        new Ptr(b.addr(k, 0)), new Ptr(b.out(k)), new Struct("BraidShape", s), new I64(count), new I32(r.op().ordinal()),
        new Ptr(status))));
  }

  private static void gatherElements(LaunchBuilder b, KernelLaunch k, GatherElements g) {
    Shape ind = g.indices();
    ShapeStruct.checkRank(g, ind.rank());
    if (ind.size() == 0) {
      return;
    }
    int axisDim = g.data().dim(g.axis());
    byte[] s = ShapeStruct.of(ind.rank(), 1, ind.dims(), g.data().strides(), new int[0], new int[] {axisDim});
    long status = status(b, g + ": index at position (word - 1) outside [-" + axisDim + ", " + axisDim
        + ") or not an integer");
    b.elementwise("braid_gather_elements_f32", ind.size(), List.of(new Ptr(b.addr(k, 0)), new Ptr(b.addr(k, 1)),
        new Ptr(b.out(k)), new I64(ind.size()), new Struct("BraidShape", s), new I32(g.axis()), new Ptr(status)));
  }

  /** BraidShape of the k data axes an index tuple addresses, from axis {@code first}. */
  private static byte[] tupleAxes(Kernel kernel, Shape data, int first, int k) {
    ShapeStruct.checkRank(kernel, k);
    int[] dims = new int[k], strides = new int[k], all = data.strides();
    for (int j = 0; j < k; j++) {
      dims[j] = data.dim(first + j);
      strides[j] = all[first + j];
    }
    return ShapeStruct.of(k, 0, dims, strides, new int[0], new int[0]);
  }

  private static void gatherNd(LaunchBuilder b, KernelLaunch k, GatherNd g) {
    long n = g.outputElements();
    if (n == 0) {
      return;
    }
    int batchTuples = g.indices().product(0, g.batchDims());
    byte[] s = tupleAxes(g, g.data(), g.batchDims(), g.depth());
    long status = status(b, g + ": index at position (word - 1) out of range or not an integer");
    b.elementwise("braid_gather_nd_f32", n, List.of(new Ptr(b.addr(k, 0)), new Ptr(b.addr(k, 1)), new Ptr(b.out(k)),
        new I64(n), new I32(g.slice()), new I32(g.tuples() / Math.max(1, batchTuples)),
        new I64(g.data().product(g.batchDims(), g.data().rank())), new Struct("BraidShape", s), new Ptr(status)));
  }

  /** PoolNd, its geometry packed into a BraidShape as braid_pool_nd_f32 reads it. */
  private static void poolNd(LaunchBuilder b, KernelLaunch k, PoolNd p) {
    b.elementwise("braid_pool_nd_f32", p.outputElements(), List.of(new Ptr(b.addr(k, 0)), new Ptr(b.out(k)),
        new I64(p.outputElements()), new Struct("BraidShape", ShapeStruct.poolNd(p)), new I32(p.kind().ordinal()),
        new I32(p.countIncludePad() ? 1 : 0), new I32(p.p()), new I32(p.columnMajor() ? 1 : 0)));
  }

  /**
   * ConvNd's geometry in braid_conv_nd_f32's normal form, three spatial axes (fewer padded in
   * front with size 1, kernel 1, stride 1, no pad), packed into a BraidShape as the kernel reads it.
   */
  private static void convNd(LaunchBuilder b, KernelLaunch k, ConvNd c) {
    int lead = 3 - c.in().size();
    int[] dims = new int[6], strideA = new int[6], strideB = new int[3], dilation = new int[3];
    for (int d = 0; d < 3; d++) {
      boolean real = d >= lead;
      dims[d] = real ? c.in().get(d - lead) : 1;
      dims[3 + d] = real ? c.out().get(d - lead) : 1;
      strideA[d] = real ? c.kernel().get(d - lead) : 1;
      strideA[3 + d] = real ? c.stride().get(d - lead) : 1;
      strideB[d] = real ? c.padBegin().get(d - lead) : 0;
      dilation[d] = real ? c.dilation().get(d - lead) : 1;
    }
    byte[] g = ShapeStruct.of(3, 0, dims, strideA, strideB, dilation);
    long n = c.outputElements();
    b.elementwise("braid_conv_nd_f32", n, List.of(new Ptr(b.addr(k, 0)), new Ptr(b.addr(k, 1)),
        new Ptr(c.hasBias() ? b.addr(k, 2) : 0), new Ptr(b.out(k)), new I64(n), new Struct("BraidShape", g),
        new I32(c.c()), new I32(c.m()), new I32(c.groups()), new I32(c.kind() == ConvNd.Kind.CONV_TRANSPOSE ? 1 : 0)));
  }

  private static void scatter(LaunchBuilder b, KernelLaunch k, Scatter s) {
    Shape data = s.data(), ind = s.indices();
    if (data.size() == 0) {
      return;
    }
    b.elementwise("braid_copy_f32", data.size(), List.of(new Ptr(b.addr(k, 0)), new Ptr(b.out(k)), new I64(data.size())));
    if (ind.size() == 0) {
      return;
    }
    long status = status(b, s + ": index at position (word - 1) out of range or not an integer");
    if (s.nd()) {
      int depth = ind.dim(ind.rank() - 1);
      long slice = data.product(depth, data.rank());
      b.elementwise("braid_scatter_nd_f32", slice, List.of(new Ptr(b.addr(k, 1)), new Ptr(b.addr(k, 2)),
          new Ptr(b.out(k)), new I64(slice), new I32(ind.size() / depth), new Struct("BraidShape", tupleAxes(s, data, 0, depth)),
          new I32(s.reduction().ordinal()), new Ptr(status)));
      return;
    }
    ShapeStruct.checkRank(s, ind.rank());
    long lines = ind.size() / ind.dim(s.axis());
    byte[] shape = ShapeStruct.of(ind.rank(), 1, ind.dims(), data.strides(), ind.strides(), new int[] {data.dim(s.axis())});
    b.elementwise("braid_scatter_elements_f32", lines, List.of(new Ptr(b.addr(k, 1)), new Ptr(b.addr(k, 2)),
        new Ptr(b.out(k)), new I64(lines), new Struct("BraidShape", shape), new I32(s.axis()),
        new I32(s.reduction().ordinal()), new Ptr(status)));
  }
}
