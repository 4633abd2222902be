package dev.braid.device.cuda;

import static dev.braid.device.cuda.LaunchPackerTest.geometry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.KernelParam.F32;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cuda.KernelParam.I64;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.ScatterReduction;
import dev.braid.device.kernel.TopK;
import dev.braid.model.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TensorPacking against the tensor.cuh rows of native/src/main/cuda/README.md, over fake addresses. */
class TensorPackingTest {
  final LaunchPackerTest.Fake f = new LaunchPackerTest.Fake();

  @Test
  void reduceTakesTheShapeTheOpAndAStatusWordOnlyWhenIntegral() {
    Reduce r = new Reduce(ReduceOp.LOG_SUM_EXP, Shape.of(2, 3, 40), List.of(1, 2), false);
    PackedLaunch p = f.pack(f.launch(r));
    KernelCall c = p.calls().get(0);
    geometry(c, "braid_reduce_f32", 2, 1, 128);
    assertEquals(new I64(120), c.params().get(3));
    assertEquals(new I32(ReduceOp.LOG_SUM_EXP.ordinal()), c.params().get(4));
    assertEquals(new Ptr(0), c.params().get(5));
    ByteBuffer s = LaunchPackerTest.le(c.params().get(2));
    assertEquals(1, s.getInt(ShapeStruct.OFF_RANK));
    assertEquals(2, s.getInt(ShapeStruct.OFF_RANK2));
    assertEquals(120, s.getInt(ShapeStruct.OFF_STRIDE_A), "the kept axis's stride");
    assertTrue(p.checks().isEmpty());

    PackedLaunch integral = f.pack(f.launch(new Reduce(ReduceOp.SUM, Shape.of(4, 5), List.of(1), true)));
    long status = f.allocated.get(f.allocated.size() - 1);
    assertEquals(new Ptr(status), integral.calls().get(0).params().get(5));
    assertEquals(1, integral.checks().size());
    assertTrue(integral.checks().get(0).failure().contains("beyond 2^24"));
  }

  @Test
  void alongAxisIsOneBlockPerFibre() {
    KernelCall c = f.pack(f.launch(new AlongAxis(AxisOp.CUMSUM_REVERSE, 3, 500, 7, false))).calls().get(0);
    geometry(c, "braid_along_axis_f32", 21, 1, 256);
    assertEquals(new I32(AxisOp.CUMSUM_REVERSE.ordinal()), c.params().get(4));
  }

  @Test
  void topKRemapAndPoolsAreElementwise() {
    geometry(f.pack(f.launch(new TopK(3, 50, 700, 4, true, true))).calls().get(0), "braid_topk_f32", 3, 1, 256);
    PackedLaunch remap = f.pack(f.launch(new Remap(100, 3000, 1.5f)));
    geometry(remap.calls().get(0), "braid_remap_f32", 3, 1, 256);
    assertEquals(new F32(1.5f), remap.calls().get(0).params().get(4));
    assertEquals(1, remap.checks().size());
    PoolNd pool = new PoolNd(PoolNd.Kind.LP, 2, List.of(5, 6, 7), List.of(2, 2, 2), List.of(1, 1, 1),
        List.of(0, 0, 0), List.of(0, 0, 0), List.of(1, 1, 1), List.of(4, 5, 6), false, 2, false);
    KernelCall c = f.pack(f.launch(pool)).calls().get(0);
    geometry(c, "braid_pool_nd_f32", 1, 1, 256);
    ByteBuffer g = LaunchPackerTest.le(c.params().get(3)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(3, g.getInt(ShapeStruct.OFF_RANK));
    assertEquals(6, g.getInt(ShapeStruct.OFF_DIMS + 4 * 5), "dims[3 + 2] is the last output dim");
  }

  @Test
  void aScatterCopiesTheDataThenAppliesTheUpdates() {
    Scatter s = new Scatter(false, Shape.of(5, 7), Shape.of(9, 4), 0, ScatterReduction.MUL);
    KernelLaunch k = f.launch(s);
    PackedLaunch p = f.pack(k);
    assertEquals(2, p.calls().size());
    assertEquals("braid_copy_f32", p.calls().get(0).function());
    KernelCall c = p.calls().get(1);
    geometry(c, "braid_scatter_elements_f32", 1, 1, 256);
    assertEquals(new I64(4), c.params().get(3), "one thread per line along axis 0");
    assertEquals(new I32(ScatterReduction.MUL.ordinal()), c.params().get(6));
  }
}
