package dev.braid.device.cuda;

import static dev.braid.device.cuda.GroupedTablesTest.everyBlockFindsItsEntry;
import static dev.braid.device.cuda.GroupedTablesTest.firstBlocks;
import static dev.braid.device.cuda.GroupedTablesTest.ints;
import static dev.braid.device.cuda.GroupedTablesTest.onlyCall;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceException;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cuda.KernelParam.I64;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.cuda.KernelParam.Struct;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Pool2d.PoolMode;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.TopK;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The TopK and N-d pool classes' tables as LaunchPacker packs them: each entry decoded at
 * braid_abi.h's offsets carries exactly the arguments of the problem's single-kernel call, so the
 * grouped kernel, running the single kernel's body, computes what the single launch does.
 */
class GroupedTopKPoolNdTablesTest {
  private final LaunchPackerTest.Fake f = new LaunchPackerTest.Fake();

  private List<KernelLaunch> launches(List<? extends Kernel> kernels) {
    return kernels.stream().map(f::launch).toList();
  }

  @Test
  void topKEntriesCarryTheSingleCallsArgumentsOneThreadPerFibreAndSkipProblemsWithoutWork() {
    TopK wide = new TopK(3, 50, 700, 4, true, true), logits = new TopK(1, 1000, 1, 5, true, false);
    TopK none = new TopK(2, 10, 1, 0, false, false), strided = new TopK(4, 7, 9, 7, false, false);
    List<KernelLaunch> ps = launches(List.of(wide, logits, none, strided));
    long[] blocks = {(2100 + 255) / 256, 1, 1};
    ByteBuffer t = onlyCall(f.packGrouped(ps), GroupedTopKTable.FUNCTION, (int) Arrays.stream(blocks).sum(), 256, 3,
        GroupedTopKTable.PROBLEM_BYTES);
    long[] first = firstBlocks(blocks);
    int[] problem = {0, 1, 3};
    for (int e = 0; e < 3; e++) {
      KernelLaunch p = ps.get(problem[e]);
      List<KernelParam> single = f.pack(p).calls().get(0).params();
      int at = GroupedTopKTable.PROBLEM_BYTES * e;
      // braid_topk_f32(x, y, fibres, axis, inner, k, largest, indices)
      assertEquals(List.of(new Ptr(t.getLong(at)), new Ptr(t.getLong(at + 8)), new I64(t.getLong(at + 16)),
          new I32(t.getInt(at + 24)), new I32(t.getInt(at + 28)), new I32(t.getInt(at + 32)),
          new I32(t.getInt(at + 36)), new I32(t.getInt(at + 40))), single, "entry " + e + ": " + p.kernel());
      assertEquals(first[e], t.getInt(at + GroupedTopKTable.OFF_FIRST_BLOCK), "firstBlock");
    }
    everyBlockFindsItsEntry(t, GroupedTopKTable.PROBLEM_BYTES, GroupedTopKTable.OFF_FIRST_BLOCK, blocks);
  }

  @Test
  void poolNdEntriesCarryTheSingleCallsGeometryAndAttributesForEveryKindAndRank() {
    List<PoolNd> pools = List.of(
        new PoolNd(PoolNd.Kind.MAX_INDEX, 2, List.of(9, 11, 10), List.of(3, 2, 2), List.of(2, 1, 3), List.of(1, 0, 1),
            List.of(1, 1, 0), List.of(1, 2, 1), List.of(5, 10, 4), true, 1, true),
        new PoolNd(PoolNd.Kind.LP, 6, List.of(37), List.of(4), List.of(3), List.of(2), List.of(1), List.of(1),
            List.of(13), false, 3, false),
        new PoolNd(PoolNd.Kind.AVERAGE, 3, List.of(12, 13), List.of(3, 3), List.of(1, 2), List.of(1, 1),
            List.of(1, 0), List.of(2, 1), List.of(10, 6), true, 2, false));
    List<KernelLaunch> ps = launches(pools);
    long[] blocks = {(2 * 200 + 255) / 256, 1, 1};
    ByteBuffer t = onlyCall(f.packGrouped(ps), GroupedPoolNdTable.FUNCTION, (int) Arrays.stream(blocks).sum(), 256, 3,
        GroupedPoolNdTable.PROBLEM_BYTES);
    long[] first = firstBlocks(blocks);
    for (int e = 0; e < 3; e++) {
      List<KernelParam> single = f.pack(ps.get(e)).calls().get(0).params();
      int at = GroupedPoolNdTable.PROBLEM_BYTES * e;
      byte[] shape = new byte[ShapeStruct.BYTES];
      t.get(at + GroupedPoolNdTable.OFF_SHAPE, shape);
      // braid_pool_nd_f32(x, y, n, g, kind, countIncludePad, p, columnMajor)
      assertEquals(List.of(new Ptr(t.getLong(at)), new Ptr(t.getLong(at + 8)), new I64(t.getLong(at + 16))),
          single.subList(0, 3), "entry " + e + " x, y, n");
      assertArrayEquals(((Struct) single.get(3)).bytes(), shape, "entry " + e + " geometry");
      assertEquals(single.subList(4, 8).stream().map(q -> ((I32) q).value()).toList(),
          Arrays.stream(ints(t, at + GroupedPoolNdTable.OFF_KIND, 4)).boxed().toList(), "entry " + e + " attributes");
      assertEquals(first[e], t.getInt(at + GroupedPoolNdTable.OFF_FIRST_BLOCK), "firstBlock");
      assertEquals(0, t.getInt(at + GroupedPoolNdTable.OFF_PAD0), "pad0");
    }
    everyBlockFindsItsEntry(t, GroupedPoolNdTable.PROBLEM_BYTES, GroupedPoolNdTable.OFF_FIRST_BLOCK, blocks);
  }

  @Test
  void topKBesideARowAndPoolNdBesideA2dPoolAreRefusedNamingTheirClasses() {
    DeviceException e = assertThrows(DeviceException.class, () -> f.packGrouped(launches(List.of(
        new TopK(1, 10, 1, 2, true, false), new Softmax(1, 10, 1)))));
    assertTrue(e.getMessage().contains("problem 1") && e.getMessage().contains("TOPK")
        && e.getMessage().contains("ROWS"), e.getMessage());
    e = assertThrows(DeviceException.class, () -> f.packGrouped(launches(List.of(Pool2d.simple(PoolMode.MAX, 1, 2, 8, 8,
        2, 2, 0), new PoolNd(PoolNd.Kind.MAX, 1, List.of(8), List.of(2), List.of(2), List.of(0), List.of(0),
        List.of(1), List.of(4), false, 2, false)))));
    assertTrue(e.getMessage().contains("problem 1") && e.getMessage().contains("POOL_ND"), e.getMessage());
    assertTrue(f.allocated.isEmpty(), "nothing taken");
  }
}
