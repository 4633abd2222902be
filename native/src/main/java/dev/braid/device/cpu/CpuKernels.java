package dev.braid.device.cpu;

import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.TopK;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.Where;

/** Maps each kernel record to its CPU implementation; one branch per record of the sealed set. */
final class CpuKernels {
  private CpuKernels() {}

  static Work plan(Kernel kernel, Args args) {
    if (Bf16Cpu.applies(kernel)) {
      return Bf16Cpu.plan(kernel, args);
    }
    if (kernel instanceof Gemm g) {
      return GemmCpu.plan(g, args);
    }
    if (kernel instanceof Conv2d c) {
      return ConvCpu.plan(c, args);
    }
    if (kernel instanceof Binary b) {
      return ElementwiseCpu.binary(b, args);
    }
    if (kernel instanceof Unary u) {
      return ElementwiseCpu.unary(u, args);
    }
    if (kernel instanceof Copy c) {
      return ElementwiseCpu.copy(c, args);
    }
    if (kernel instanceof BatchNorm bn) {
      return ElementwiseCpu.batchNorm(bn, args);
    }
    if (kernel instanceof Pool2d p) {
      return PoolCpu.plan(p, args);
    }
    if (kernel instanceof GlobalAveragePool g) {
      return ReductionCpu.globalAveragePool(g, args);
    }
    if (kernel instanceof Softmax s) {
      return ReductionCpu.softmax(s, args);
    }
    if (kernel instanceof LayerNorm l) {
      return ReductionCpu.layerNorm(l, args);
    }
    if (kernel instanceof ReduceMean r) {
      return ReductionCpu.reduceMean(r, args);
    }
    if (kernel instanceof Transpose t) {
      return LayoutCpu.transpose(t, args);
    }
    if (kernel instanceof Concat c) {
      return LayoutCpu.concat(c, args);
    }
    if (kernel instanceof Gather g) {
      return LayoutCpu.gather(g, args);
    }
    if (kernel instanceof Reduce r) {
      return TensorCpu.reduce(r, args);
    }
    if (kernel instanceof AlongAxis a) {
      return TensorCpu.alongAxis(a, args);
    }
    if (kernel instanceof TopK t) {
      return TensorCpu.topK(t, args);
    }
    if (kernel instanceof dev.braid.device.kernel.ConvTranspose2d c) {
      return ConvTransposeCpu.run(c, args);
    }
    if (kernel instanceof dev.braid.device.kernel.ConvNd c) {
      return ConvNdCpu.run(c, args);
    }
    if (kernel instanceof dev.braid.device.kernel.Resample r) {
      return InterpCpu.resample(r, args);
    }
    if (kernel instanceof dev.braid.device.kernel.GridSample g) {
      return InterpCpu.gridSample(g, args);
    }
    if (kernel instanceof dev.braid.device.kernel.RoiAlign r) {
      return InterpCpu.roiAlign(r, args);
    }
    if (kernel instanceof Remap r) {
      return TensorCpu.remap(r, args);
    }
    if (kernel instanceof GatherElements g) {
      return IndexedCpu.gatherElements(g, args);
    }
    if (kernel instanceof GatherNd g) {
      return IndexedCpu.gatherNd(g, args);
    }
    if (kernel instanceof Scatter s) {
      return IndexedCpu.scatter(s, args);
    }
    if (kernel instanceof OneHot h) {
      return IndexedCpu.oneHot(h, args);
    }
    if (kernel instanceof PoolNd p) {
      return PoolNdCpu.plan(p, args);
    }
    if (kernel instanceof Where w) {
      return ElementwiseCpu.where(w, args);
    }
    throw new IllegalStateException("no CPU implementation for " + kernel);
  }
}
