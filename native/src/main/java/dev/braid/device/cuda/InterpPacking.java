package dev.braid.device.cuda;

import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.KernelParam.F32;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cuda.KernelParam.I64;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.cuda.KernelParam.Struct;
import dev.braid.device.cuda.PackedLaunch.StatusCheck;
import dev.braid.device.cuda.PackedLaunch.Upload;
import dev.braid.device.kernel.GridSample;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Resample;
import dev.braid.device.kernel.RoiAlign;
import java.util.List;

/**
 * The calls of the interpolation kernels (interp.cuh): {@link Resample} (braid_resample_f32, its
 * geometry in a BraidShape and a status word that fails the launch on a table index outside the
 * input), {@link GridSample} (braid_grid_sample_f32) and {@link RoiAlign} (braid_roi_align_f32,
 * with a status word for a bad batch index). None has a grouped kernel.
 */
final class InterpPacking {
  private InterpPacking() {}

  static boolean handles(Kernel k) {
    return k instanceof Resample || k instanceof GridSample || k instanceof RoiAlign;
  }

  static void pack(LaunchBuilder b, KernelLaunch k) {
    Kernel kernel = k.kernel();
    if (kernel instanceof Resample r) {
      long n = r.output().size();
      if (n == 0) {
        return;
      }
      int rank = r.output().rank();
      ShapeStruct.checkRank(r, rank);
      int[] taps = new int[rank], offsets = new int[rank];
      for (int d = 0, at = 0; d < rank; at += 2 * r.output().dim(d) * taps[d], d++) {
        taps[d] = r.taps().get(d);
        offsets[d] = at;
      }
      byte[] s = ShapeStruct.of(rank, 0, r.output().dims(), r.input().strides(), taps, offsets);
      long status = b.take(4);
      b.uploads.add(new Upload(status, new byte[4]));
      b.checks.add(new StatusCheck(status, r + ": a table index of output element (word - 1) lies outside the input"));
      b.elementwise("braid_resample_f32", n, List.of(new Ptr(b.addr(k, 0)), new Ptr(b.addr(k, 1)), new Ptr(b.out(k)),
          new I64(n), new Struct("BraidShape", s), new I64(r.tapsPerOutput()), new I64(r.input().size()),
          new F32(r.fill()), new Ptr(status)));
    } else if (kernel instanceof GridSample g) {
      b.elementwise("braid_grid_sample_f32", g.outputElements(), List.of(new Ptr(b.addr(k, 0)),
          new Ptr(b.addr(k, 1)), new Ptr(b.out(k)), new I64(g.outputElements()), new I32(g.c()), new I32(g.h()),
          new I32(g.w()), new I32(g.outH()), new I32(g.outW()), new I32(g.mode().ordinal()),
          new I32(g.padding().ordinal()), new I32(g.alignCorners() ? 1 : 0)));
    } else if (kernel instanceof RoiAlign r) {
      if (r.outputElements() == 0) {
        return;
      }
      long status = b.take(4);
      b.uploads.add(new Upload(status, new byte[4]));
      b.checks.add(new StatusCheck(status, r + ": the batch index of output element (word - 1)'s region is not an"
          + " integer in [0, " + r.n() + ")"));
      b.elementwise("braid_roi_align_f32", r.outputElements(), List.of(new Ptr(b.addr(k, 0)), new Ptr(b.addr(k, 1)),
          new Ptr(b.addr(k, 2)), new Ptr(b.out(k)), new I64(r.outputElements()), new I32(r.n()), new I32(r.c()),
          new I32(r.h()), new I32(r.w()), new I32(r.outH()), new I32(r.outW()), new I32(r.samplingRatio()),
          new F32(r.spatialScale()), new I32(r.halfPixel() ? 1 : 0), new I32(r.max() ? 1 : 0), new Ptr(status)));
    } else {
      throw new IllegalArgumentException("not an interpolation kernel: " + kernel);
    }
  }
}
