package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.kernel.GridSample;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Resample;
import dev.braid.device.kernel.RoiAlign;
import dev.braid.device.plan.KernelGeometry;
import dev.braid.device.plan.LaunchGeometry;
import dev.braid.model.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The simulator plans the interpolation kernels with their own ptxas registers and the block LaunchPacker launches. */
class InterpGeometryManifestTest {
  @Test
  void geometryIsTheManifestsAndThePackersForEveryInterpolationKernel() {
    Map<Kernel, String> kernels = Map.of(
        new Resample(Shape.of(2, 3, 7, 9), Shape.of(2, 3, 40, 50), List.of(1, 1, 4, 4), 0f), "braid_resample_f32",
        new GridSample(2, 3, 7, 9, 30, 40, GridSample.Mode.BICUBIC, GridSample.Padding.REFLECTION, true),
        "braid_grid_sample_f32",
        new RoiAlign(2, 3, 10, 12, 300, 7, 7, 0, 0.25f, true, true), "braid_roi_align_f32");
    KernelManifest m = KernelManifest.load();
    LaunchPackerTest.Fake f = new LaunchPackerTest.Fake();
    kernels.forEach((k, fn) -> {
      LaunchGeometry g = KernelGeometry.of(k);
      assertEquals(m.registers(fn), g.registersPerThread(), fn + " registers");
      KernelCall call = f.pack(f.launch(k)).calls().stream().filter(c -> c.function().equals(fn)).findFirst()
          .orElseThrow();
      assertEquals(call.blockX(), g.threadsPerBlock(), fn + " block");
      assertEquals(call.gridX(), g.blocks(), fn + " grid");
    });
  }
}
