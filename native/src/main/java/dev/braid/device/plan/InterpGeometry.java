package dev.braid.device.plan;

import dev.braid.device.kernel.GridSample;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Resample;
import dev.braid.device.kernel.RoiAlign;

/**
 * Launch geometry of the interpolation kernels (interp.cuh): one thread per output element, 1024
 * elements per block of 256, no shared memory, with each kernel's own {@code ptxas -v} registers
 * (sm_90, braid_kernels.manifest; InterpGeometryManifestTest keeps them equal).
 */
final class InterpGeometry {
  private InterpGeometry() {}

  static final int RESAMPLE_REGISTERS = 39;
  static final int GRID_SAMPLE_REGISTERS = 62;
  static final int ROI_ALIGN_REGISTERS = 48;
  private static final int THREADS = 256;
  private static final int ELEMENTS_PER_BLOCK = THREADS * KernelGeometry.ELEMENTS_PER_THREAD;

  static boolean handles(Kernel k) {
    return k instanceof Resample || k instanceof GridSample || k instanceof RoiAlign;
  }

  static LaunchGeometry of(Kernel k) {
    if (k instanceof Resample r) {
      return flat(r.output().size(), RESAMPLE_REGISTERS);
    }
    if (k instanceof GridSample g) {
      return flat(g.outputElements(), GRID_SAMPLE_REGISTERS);
    }
    if (k instanceof RoiAlign r) {
      return flat(r.outputElements(), ROI_ALIGN_REGISTERS);
    }
    throw new IllegalArgumentException("no interpolation geometry for " + k);
  }

  private static LaunchGeometry flat(long elements, int registers) {
    long blocks = (elements + ELEMENTS_PER_BLOCK - 1) / ELEMENTS_PER_BLOCK;
    if (blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("grid of " + blocks + " blocks exceeds 2^31 - 1");
    }
    return new LaunchGeometry((int) Math.max(1, blocks), THREADS, registers, 0);
  }
}
