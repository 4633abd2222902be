package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.ConvNd;
import dev.braid.device.kernel.ConvTranspose2d;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.ScatterReduction;
import dev.braid.device.kernel.TopK;
import dev.braid.device.plan.KernelGeometry;
import dev.braid.device.plan.LaunchGeometry;
import dev.braid.model.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The simulator plans issue 12's kernels with their own ptxas registers and the block LaunchPacker launches. */
class TensorGeometryManifestTest {
  @Test
  void geometryIsTheManifestsAndThePackersForEveryTensorKernel() {
    List<Integer> one = List.of(1), two = List.of(2);
    Map<Kernel, List<String>> kernels = new java.util.HashMap<>(Map.of(
        new Reduce(ReduceOp.ARG_MAX, Shape.of(3, 100), List.of(1), false), List.of("braid_reduce_f32"),
        new AlongAxis(AxisOp.LOG_SOFTMAX, 2, 60, 3, false), List.of("braid_along_axis_f32"),
        new TopK(4, 10, 300, 2, true, false), List.of("braid_topk_f32"),
        new Remap(10, 5000, 0f), List.of("braid_remap_f32"),
        new GatherElements(Shape.of(4, 5), Shape.of(4, 3), 1), List.of("braid_gather_elements_f32"),
        new GatherNd(Shape.of(4, 5), Shape.of(3, 1), 0), List.of("braid_gather_nd_f32"),
        new Scatter(false, Shape.of(4, 5), Shape.of(2, 5), 0, ScatterReduction.ADD),
        List.of("braid_scatter_elements_f32", "braid_scatter_nd_f32"),
        new OneHot(3, 4, 5, 0, 1), List.of("braid_onehot_f32"),
        new PoolNd(PoolNd.Kind.MAX, 2, List.of(4), two, one, List.of(0), List.of(0), one, List.of(3), false, 2, false),
        List.of("braid_pool_nd_f32")));
    kernels.put(new ConvTranspose2d(2, 4, 5, 6, 6, 3, 3, 2, 2, 1, 0, 1, 1, 2, 10, 13, true),
        List.of("braid_conv_transpose_f32"));
    kernels.put(new ConvNd(ConvNd.Kind.CONV, 2, 4, 6, List.of(5, 6, 7), List.of(2, 3, 3), List.of(1, 2, 1),
        List.of(1, 0, 1), List.of(1, 1, 2), List.of(6, 2, 5), 2, true), List.of("braid_conv_nd_f32"));
    KernelManifest m = KernelManifest.load();
    LaunchPackerTest.Fake f = new LaunchPackerTest.Fake();
    kernels.forEach((k, fns) -> {
      LaunchGeometry g = KernelGeometry.of(k);
      int registers = fns.stream().mapToInt(m::registers).max().orElseThrow();
      assertEquals(registers, g.registersPerThread(), fns + " registers");
      KernelCall last = f.pack(f.launch(k)).calls().stream().filter(c -> fns.contains(c.function())).findFirst()
          .orElseThrow();
      assertEquals(last.blockX(), g.threadsPerBlock(), fns + " block");
      if (!(k instanceof Scatter)) {
        assertEquals(last.gridX(), g.blocks(), fns + " grid");
      }
    });
  }
}
