package dev.braid.device.cuda.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.plan.FusionKeys;
import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code braid_rows_grouped_f32} over the emulated CUDA driver, which runs Braid's own kernels on
 * the CPU: one grouped launch of every ReduceOp and AxisOp beside Softmax, LayerNorm and ReduceMean,
 * rows of 1 to 1000 (block sizes 32 to 256 in one launch, so most rows run on fewer threads than
 * the block has), equals bit for bit what {@code braid_reduce_f32}, {@code braid_along_axis_f32}
 * and the other single kernels compute launched alone. Skipped, saying why, where the emulator
 * could not be built (no g++).
 */
class GroupedRowsEmulatedTest {
  @RegisterExtension static final EmulatedGpu GPU = new EmulatedGpu();

  /** Every op of the two kernels, on shapes and axes that differ per problem, and the class's earlier kinds. */
  private static List<Kernel> mix() {
    List<Kernel> ks = new ArrayList<>();
    Shape[] shapes = {Shape.of(3, 40, 5), Shape.of(2, 1000), Shape.of(6, 1, 7), Shape.of(4, 3, 2, 9)};
    int[][] axes = {{1}, {1}, {0, 2}, {0, 3}};
    for (ReduceOp op : ReduceOp.values()) {
      int s = op.ordinal() % shapes.length;
      List<Integer> ax = new ArrayList<>();
      for (int a : axes[s]) {
        ax.add(a);
      }
      ks.add(new Reduce(op, shapes[s], op.isArg() ? ax.subList(ax.size() - 1, ax.size()) : ax, false));
    }
    int[][] views = {{3, 130, 2}, {1, 7, 4}, {2, 1000, 1}, {5, 1, 3}, {2, 65, 3}, {1, 33, 1}};
    for (AxisOp op : AxisOp.values()) {
      int[] v = views[op.ordinal() % views.length];
      ks.add(new AlongAxis(op, v[0], v[1], v[2], false));
    }
    ks.add(2, new Softmax(4, 300, 1));
    ks.add(7, new LayerNorm(3, 64, 1e-5f, true));
    ks.add(new ReduceMean(Shape.of(5, 6, 7), List.of(0, 2)));
    return ks;
  }

  @Test
  void aGroupedRowsLaunchOfReductionsAndFibreOpsEqualsTheSingleKernelsBitForBit() throws Exception {
    List<Kernel> kernels = mix();
    for (Kernel k : kernels) {
      assertEquals(FusionKeys.ROWS, FusionKeys.of(k).orElseThrow(), k.toString());
    }
    GroupedVsAlone.assertBitForBit(GPU.device(), kernels, GroupedVsAlone.inputs(kernels, 10));
  }
}
