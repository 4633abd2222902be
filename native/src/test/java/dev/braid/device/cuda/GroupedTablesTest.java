package dev.braid.device.cuda;

import static dev.braid.device.cuda.LaunchPackerTest.geometry;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.DeviceException;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cpu.GroupedMixes;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Pool2d.PoolMode;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.device.plan.GroupedGeometry;
import dev.braid.model.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The grouped kernels of the fusion classes beyond GEMM and convolution, as LaunchPacker packs
 * them: which kernel, grid and block, and every table entry decoded back field by field at
 * braid_abi.h's offsets (ProblemTableLayoutTest checks those against gcc), with each problem's
 * first block and the kernel's block-to-problem search replayed over the uploaded bytes.
 */
class GroupedTablesTest {
  private final LaunchPackerTest.Fake f = new LaunchPackerTest.Fake();

  private List<KernelLaunch> launches(Kernel... kernels) {
    List<KernelLaunch> out = new ArrayList<>();
    for (Kernel k : kernels) {
      out.add(f.launch(k));
    }
    return out;
  }

  /** The one call of a grouped launch and its uploaded table, checked against the expected grid. */
  static ByteBuffer onlyCall(PackedLaunch p, String fn, int blocks, int threads, int entries, int entryBytes) {
    assertEquals(1, p.calls().size(), p.label());
    geometry(p.calls().get(0), fn, blocks, 1, threads);
    assertEquals(1, p.uploads().size());
    long table = p.uploads().get(0).address();
    assertEquals(List.of(new Ptr(table), new I32(entries)), p.calls().get(0).params(), "(table, count)");
    byte[] bytes = p.uploads().get(0).bytes();
    assertEquals(entries * entryBytes, bytes.length);
    assertEquals(List.of(table), p.scratch(), "the table is the launch's only scratch");
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Replays the kernel's search (braid_find_first: the last entry whose firstBlock <= b) over the
   * uploaded bytes for every block of the grid and checks it lands in the entry owning b.
   */
  static void everyBlockFindsItsEntry(ByteBuffer t, int entryBytes, int firstOffset, long[] blocks) {
    int entries = blocks.length;
    int b = 0;
    for (int e = 0; e < entries; e++) {
      for (long j = 0; j < blocks[e]; j++, b++) {
        int lo = 0, hi = entries - 1;
        while (lo < hi) {
          int mid = (lo + hi + 1) >>> 1;
          if (t.getInt(mid * entryBytes + firstOffset) <= b) {
            lo = mid;
          } else {
            hi = mid - 1;
          }
        }
        assertEquals(e, lo, "block " + b);
      }
    }
  }

  static long[] firstBlocks(long[] blocks) {
    long[] first = new long[blocks.length];
    for (int i = 1; i < blocks.length; i++) {
      first[i] = first[i - 1] + blocks[i - 1];
    }
    return first;
  }

  @Test
  void elementwiseMixesUnaryBinaryAndBatchNormWithAnOpCodePerEntry() {
    Shape act = Shape.of(1, 8, 7, 7);
    Unary relu = Unary.of(UnaryOp.RELU, 5000);
    Binary add = Binary.of(BinaryOp.ADD, act, Shape.of(1, 8, 1, 1));
    Unary clip = Unary.clip(10, -0.25f, 0.5f);
    Unary empty = Unary.of(UnaryOp.SQRT, 0);
    BatchNorm bn = new BatchNorm(2, 32, 49);
    Binary pow = Binary.of(BinaryOp.POW, Shape.of(3, 1, 5), Shape.of(1, 7, 5));
    List<KernelLaunch> ps = launches(relu, add, clip, empty, bn, pow);
    // blocks of 1024 outputs: 5000 -> 5, 392 -> 1, 10 -> 1, (0: left out), 3136 -> 4, 105 -> 1
    long[] blocks = {5, 1, 1, 4, 1};
    int[] problem = {0, 1, 2, 4, 5};
    ByteBuffer t = onlyCall(f.packGrouped(ps), "braid_elementwise_grouped_f32", 12, 256, 5, 208);
    long[] first = firstBlocks(blocks);
    for (int e = 0; e < 5; e++) {
      int at = 208 * e;
      KernelLaunch kl = ps.get(problem[e]);
      assertEquals(f.addr(kl.args().get(0)), t.getLong(at), "entry " + e + " x");
      assertEquals(f.addr(kl.args().get(kl.args().size() - 1)), t.getLong(at + 24), "entry " + e + " y");
      assertEquals(first[e], t.getInt(at + 64), "entry " + e + " firstBlock");
      assertEquals(0, t.getInt(at + 68), "pad0");
    }
    // relu: kind 0, op 0, no b or c
    assertEquals(5000, t.getLong(32));
    assertEquals(0, t.getInt(40));
    assertEquals(UnaryOp.RELU.ordinal(), t.getInt(44));
    assertEquals(0, t.getLong(8));
    assertEquals(0, t.getLong(16));
    // add: kind 1, b = B's address, shape = out dims and broadcast strides
    int at = 208;
    assertEquals(392, t.getLong(at + 32));
    assertEquals(1, t.getInt(at + 40));
    assertEquals(BinaryOp.ADD.ordinal(), t.getInt(at + 44));
    assertEquals(f.addr(ps.get(1).args().get(1)), t.getLong(at + 8));
    assertEquals(4, t.getInt(at + 72), "rank");
    assertArrayEquals(new int[] {1, 8, 7, 7}, ints(t, at + 72 + 8, 4), "dims");
    assertArrayEquals(new int[] {0, 49, 7, 1}, ints(t, at + 72 + 40, 4), "strideA: size-1 axes broadcast");
    assertArrayEquals(new int[] {0, 1, 0, 0}, ints(t, at + 72 + 72, 4), "strideB: broadcast over N, H, W");
    // clip: its bounds
    at = 2 * 208;
    assertEquals(UnaryOp.CLIP.ordinal(), t.getInt(at + 44));
    assertEquals(-0.25f, t.getFloat(at + 48));
    assertEquals(0.5f, t.getFloat(at + 52));
    // batchnorm: kind 2, scale and shift, channels and spatial
    at = 3 * 208;
    assertEquals(2 * 32 * 49, t.getLong(at + 32));
    assertEquals(2, t.getInt(at + 40));
    assertEquals(f.addr(ps.get(4).args().get(1)), t.getLong(at + 8), "scale");
    assertEquals(f.addr(ps.get(4).args().get(2)), t.getLong(at + 16), "shift");
    assertEquals(32, t.getInt(at + 56));
    assertEquals(49, t.getInt(at + 60));
    // pow: both-sided broadcast
    at = 4 * 208;
    assertEquals(BinaryOp.POW.ordinal(), t.getInt(at + 44));
    assertArrayEquals(new int[] {3, 7, 5}, ints(t, at + 72 + 8, 3));
    assertArrayEquals(new int[] {5, 0, 1}, ints(t, at + 72 + 40, 3));
    assertArrayEquals(new int[] {0, 5, 1}, ints(t, at + 72 + 72, 3));
    everyBlockFindsItsEntry(t, 208, 64, blocks);
  }

  @Test
  void poolTakesMaxAverageAndGlobalAverageOfAnyWindow() {
    Pool2d max = Pool2d.simple(PoolMode.MAX, 2, 16, 29, 29, 3, 2, 1);
    Pool2d avg = new Pool2d(PoolMode.AVERAGE, 1, 8, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 9, 9, true);
    GlobalAveragePool gap = new GlobalAveragePool(1000, 49);
    List<KernelLaunch> ps = launches(max, avg, gap);
    long[] blocks = {(2 * 16 * 15 * 15 + 255) / 256, (8 * 81 + 255) / 256, 125};
    ByteBuffer t = onlyCall(f.packGrouped(ps), "braid_pool_grouped_f32", (int) (blocks[0] + blocks[1] + blocks[2]),
        256, 3, 96);
    long[] first = firstBlocks(blocks);
    int[][] fields = {
        // mode n c h w kh kw sH sW pT pL pB pR dH dW oH oW cip
        {0, 2, 16, 29, 29, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 15, 15, 0},
        {1, 1, 8, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 9, 9, 1},
        {2, 1, 1000, 1, 49, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0}};
    for (int e = 0; e < 3; e++) {
      int at = 96 * e;
      assertEquals(f.addr(ps.get(e).args().get(0)), t.getLong(at), "x");
      assertEquals(f.addr(ps.get(e).args().get(1)), t.getLong(at + 8), "y");
      assertArrayEquals(fields[e], ints(t, at + 16, 18), "entry " + e + " mode .. countIncludePad");
      assertEquals(first[e], t.getInt(at + 88), "firstBlock");
      assertEquals(0, t.getInt(at + 92), "pad0");
    }
    everyBlockFindsItsEntry(t, 96, 88, blocks);
  }

  @Test
  void rowsRunEachProblemOnItsOwnThreadCountInsideTheLargestBlock() {
    Softmax sm = new Softmax(8, 5, 7);  // 56 fibres of 5: 32 threads
    LayerNorm ln = new LayerNorm(4, 256, 1e-12f, true);  // 256 threads
    LayerNorm noBias = new LayerNorm(3, 100, 1e-5f, false);  // 128 threads
    ReduceMean rm = new ReduceMean(Shape.of(4, 6, 8), List.of(0, 2));  // 6 outputs of 32: 32 threads
    List<KernelLaunch> ps = launches(sm, ln, noBias, rm);
    long[] blocks = {56, 4, 3, 6};
    ByteBuffer t = onlyCall(f.packGrouped(ps), "braid_rows_grouped_f32", 69, 256, 4, 208);
    long[] first = firstBlocks(blocks);
    int[] kinds = {0, 1, 1, 2};
    int[] threads = {32, 256, 128, 32};
    for (int e = 0; e < 4; e++) {
      int at = 208 * e;
      assertEquals(f.addr(ps.get(e).args().get(0)), t.getLong(at), "x");
      assertEquals(f.addr(ps.get(e).args().get(ps.get(e).args().size() - 1)), t.getLong(at + 8), "y");
      assertEquals(kinds[e], t.getInt(at + 40), "kind");
      assertEquals(threads[e], t.getInt(at + 44), "threads");
      assertEquals(first[e], t.getInt(at + 48), "firstBlock");
    }
    assertEquals(5, t.getInt(52), "softmax axis");
    assertEquals(7, t.getInt(56), "softmax inner");
    assertEquals(f.addr(ps.get(1).args().get(1)), t.getLong(208 + 16), "scale");
    assertEquals(f.addr(ps.get(1).args().get(2)), t.getLong(208 + 24), "bias");
    assertEquals(256, t.getInt(208 + 52), "cols");
    assertEquals(1e-12f, t.getFloat(208 + 60), "epsilon");
    assertEquals(0, t.getLong(416 + 24), "no bias: 0");
    assertEquals(1e-5f, t.getFloat(416 + 60));
    int at = 624;
    assertEquals(32, t.getLong(at + 32), "count");
    assertEquals(1, t.getInt(at + 64), "rank: kept axis 1");
    assertEquals(2, t.getInt(at + 68), "rank2: axes 0 and 2");
    assertEquals(6, t.getInt(at + 64 + 8), "dims[0]");
    assertEquals(8, t.getInt(at + 64 + 40), "strideA[0]");
    assertArrayEquals(new int[] {48, 1}, ints(t, at + 64 + 72, 2), "strideB");
    assertArrayEquals(new int[] {4, 8}, ints(t, at + 64 + 104, 2), "dims2");
    everyBlockFindsItsEntry(t, 208, 48, blocks);
    // short rows only: the block is their own size, not 256
    geometry(f.packGrouped(launches(sm, new Softmax(2, 64, 1))).calls().get(0), "braid_rows_grouped_f32", 58, 1, 64);
  }

  @Test
  void reduceAndAlongAxisEntriesCarryTheirOpAndRowShapeAndIntegralOnesAreRefused() {
    Reduce argMax = new Reduce(ReduceOp.ARG_MAX_LAST, Shape.of(3, 70, 2), List.of(1), false);  // 6 outputs of 70: 128
    AlongAxis cum = new AlongAxis(AxisOp.CUMSUM_EXCLUSIVE_REVERSE, 2, 9, 5, false);  // 10 fibres of 9: 32
    Reduce empty = new Reduce(ReduceOp.SUM, Shape.of(0, 4), List.of(1), false);  // no output: no entry
    AlongAxis lsm = new AlongAxis(AxisOp.LOG_SOFTMAX, 1, 300, 1, false);  // 1 fibre of 300: 256
    List<KernelLaunch> ps = launches(argMax, cum, empty, lsm);
    long[] blocks = {6, 10, 1};
    ByteBuffer t = onlyCall(f.packGrouped(ps), "braid_rows_grouped_f32", 17, 256, 3, 208);
    long[] first = firstBlocks(blocks);
    int[] kinds = {3, 4, 4};
    int[] threads = {128, 32, 256};
    int[] ops = {ReduceOp.ARG_MAX_LAST.ordinal(), AxisOp.CUMSUM_EXCLUSIVE_REVERSE.ordinal(), AxisOp.LOG_SOFTMAX.ordinal()};
    int[] problem = {0, 1, 3};
    for (int e = 0; e < 3; e++) {
      int at = 208 * e;
      assertEquals(f.addr(ps.get(problem[e]).args().get(0)), t.getLong(at), "x");
      assertEquals(f.addr(ps.get(problem[e]).args().get(1)), t.getLong(at + 8), "y");
      assertEquals(kinds[e], t.getInt(at + 40), "kind");
      assertEquals(threads[e], t.getInt(at + 44), "threads");
      assertEquals(first[e], t.getInt(at + 48), "firstBlock");
      assertEquals(ops[e], t.getInt(at + 200), "op");
      assertEquals(0, t.getInt(at + 204), "pad");
    }
    assertEquals(70, t.getLong(32), "count");
    assertEquals(2, t.getInt(64), "rank: kept axes 0 and 2");
    assertEquals(1, t.getInt(68), "rank2: axis 1");
    assertArrayEquals(new int[] {3, 2}, ints(t, 64 + 8, 2), "dims");
    assertArrayEquals(new int[] {140, 1}, ints(t, 64 + 40, 2), "strideA");
    assertEquals(2, t.getInt(64 + 72), "strideB[0]");
    assertEquals(70, t.getInt(64 + 104), "dims2[0]");
    assertEquals(9, t.getInt(208 + 52), "axis");
    assertEquals(5, t.getInt(208 + 56), "inner");
    everyBlockFindsItsEntry(t, 208, 48, blocks);

    DeviceException integral = assertThrows(DeviceException.class, () -> f.packGrouped(
        launches(lsm, new Reduce(ReduceOp.SUM, Shape.of(2, 3), List.of(1), true))));
    assertTrue(integral.getMessage().contains("problem 1") && integral.getMessage().contains("integral"),
        integral.getMessage());
    DeviceException emptyAxis = assertThrows(DeviceException.class, () -> f.packGrouped(
        launches(new Reduce(ReduceOp.MAX, Shape.of(2, 0), List.of(1), false))));
    assertTrue(emptyAxis.getMessage().contains("empty axis"), emptyAxis.getMessage());
  }

  @Test
  void depthwiseTakesAnyWindowStrideDilationAndMultiplierInOneLaunch() {
    Conv2d a = new Conv2d(1, 96, 28, 28, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 96, false, Activation.clip(0f, 6f));
    Conv2d b = Conv2d.simple(4, 144, 29, 29, 144, 3, 2, 1, 144);
    Conv2d c = new Conv2d(1, 8, 13, 11, 16, 5, 3, 2, 1, 2, 1, 3, 0, 2, 1, 8, true, Activation.RELU);
    List<KernelLaunch> ps = launches(a, b, c);
    long[] blocks = {(96 * 28 * 28 + 255) / 256, (4 * 144 * 15 * 15 + 255) / 256,
        (16L * c.outH() * c.outW() + 255) / 256};
    ByteBuffer t = onlyCall(f.packGrouped(ps), "braid_conv2d_depthwise_grouped_f32",
        (int) (blocks[0] + blocks[1] + blocks[2]), 256, 3, 128);
    long[] first = firstBlocks(blocks);
    for (int e = 0; e < 3; e++) {
      Conv2d conv = (Conv2d) ps.get(e).kernel();
      KernelLaunch kl = ps.get(e);
      ByteBuffer expected = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
      GroupedConvTable.put(expected, 0, conv, f.addr(kl.args().get(0)), f.addr(kl.args().get(1)),
          conv.hasBias() ? f.addr(kl.args().get(2)) : 0, f.addr(kl.args().get(kl.args().size() - 1)), (int) first[e]);
      expected.putInt(GroupedConvTable.OFF_TILES_M, (int) blocks[e]).putInt(GroupedConvTable.OFF_TILES_N, 1);
      byte[] entry = new byte[128];
      t.get(128 * e, entry);
      assertArrayEquals(expected.array(), entry, "entry " + e);
      assertEquals(conv.kernelH(), t.getInt(128 * e + GroupedConvTable.OFF_KH));
      assertEquals(conv.strideH(), t.getInt(128 * e + GroupedConvTable.OFF_STRIDE_H));
      assertEquals(conv.dilationH(), t.getInt(128 * e + GroupedConvTable.OFF_DILATION_H));
    }
    everyBlockFindsItsEntry(t, 128, GroupedConvTable.OFF_FIRST_TILE, blocks);
  }

  @Test
  void aGemmGroupOfSkinnyProblemsRunsTheGroupedSkinnyKernelAndAMixedOneTheTiles() {
    Gemm fc = Gemm.of(1, 1000, 512, false, true, 1f, 1f, GemmBias.PER_COLUMN);
    Gemm matvec = Gemm.of(512, 1, 512);
    Gemm heads = Gemm.strided(2, 4, 70, 33, 4 * 33, 33 * 70);
    List<KernelLaunch> ps = launches(fc, matvec, heads);
    // blocks of 32 long positions per batch entry: 1000 -> 32, 512 -> 16, 70 -> 3 (twice)
    long[] blocks = {32, 16, 3, 3};
    ByteBuffer t = onlyCall(f.packGrouped(ps), "braid_gemm_skinny_grouped_f32", 54, 128, 4, 88);
    long[] first = firstBlocks(blocks);
    Gemm[] entryGemm = {fc, matvec, heads, heads};
    int[] entryProblem = {0, 1, 2, 2};
    for (int e = 0; e < 4; e++) {
      KernelLaunch kl = ps.get(entryProblem[e]);
      Gemm g = entryGemm[e];
      int batch = e == 3 ? 1 : 0;
      ByteBuffer expected = ByteBuffer.allocate(88).order(ByteOrder.LITTLE_ENDIAN);
      GroupedGemmTable.put(expected, 0, g, f.addr(kl.args().get(0)) + 4L * g.aOffset(batch),
          f.addr(kl.args().get(1)) + 4L * g.bOffset(batch),
          g.bias() == GemmBias.NONE ? 0 : f.addr(kl.args().get(2)),
          f.addr(kl.args().get(kl.args().size() - 1)) + 4L * batch * g.m() * g.n(), (int) first[e]);
      byte[] entry = new byte[88];
      t.get(88 * e, entry);
      assertArrayEquals(expected.array(), entry, "entry " + e);
    }
    everyBlockFindsItsEntry(t, 88, GroupedGemmTable.OFF_FIRST_TILE, blocks);
    PackedLaunch mixed = f.packGrouped(launches(fc, Gemm.of(100, 70, 33)));
    geometry(mixed.calls().get(0), "braid_gemm_grouped_f32", 16 + 2 * 2, 1, 256);
  }

  @Test
  void mixedClassesAreRefusedNamingBothProblems() {
    List<KernelLaunch> ps = launches(Unary.of(UnaryOp.RELU, 10), Unary.of(UnaryOp.TANH, 10),
        Pool2d.simple(PoolMode.MAX, 1, 2, 8, 8, 2, 2, 0));
    DeviceException e = assertThrows(DeviceException.class, () -> f.packGrouped(ps));
    assertEquals(DeviceException.Reason.INVALID_ARGUMENT, e.reason());
    assertTrue(e.getMessage().contains("mixes fusion classes") && e.getMessage().contains("problem 2")
        && e.getMessage().contains("ELEMENTWISE") && e.getMessage().contains("POOL"), e.getMessage());
    assertTrue(f.allocated.isEmpty(), "nothing taken");
    DeviceException layout = assertThrows(DeviceException.class, () -> f.packGrouped(launches(new Copy(10))));
    assertTrue(layout.getMessage().contains("no grouped CUDA kernel for Copy"), layout.getMessage());
  }

  @Test
  void aGroupWithNoWorkLaunchesNothing() {
    PackedLaunch p = f.packGrouped(launches(Unary.of(UnaryOp.RELU, 0), Unary.of(UnaryOp.TANH, 0)));
    assertTrue(p.calls().isEmpty() && p.uploads().isEmpty() && p.scratch().isEmpty(), p.toString());
  }

  @Test
  void theGroupedGeometryNamesThePackersKernelAndItsGrid() {
    List<List<Kernel>> groups = List.of(
        List.of(Unary.of(UnaryOp.GELU, 3000), Binary.of(BinaryOp.MUL, Shape.of(4, 64), Shape.of(64)),
            new BatchNorm(1, 16, 100)),
        List.of(Pool2d.simple(PoolMode.AVERAGE, 1, 8, 16, 16, 2, 2, 0), new GlobalAveragePool(64, 49)),
        List.of(new Softmax(16, 64, 1), new LayerNorm(8, 768, 1e-5f, true), new ReduceMean(Shape.of(2, 64, 256), List.of(2))),
        List.of(Conv2d.simple(1, 32, 14, 14, 32, 3, 1, 1, 32), Conv2d.simple(1, 64, 15, 15, 64, 5, 2, 2, 64)),
        List.of(Gemm.of(1, 1000, 512), Gemm.strided(3, 8, 40, 16, 8 * 16, 16 * 40)),
        List.of(Gemm.of(1, 1000, 512), Gemm.of(100, 70, 33)),
        GroupedMixes.topKs(), GroupedMixes.poolNds());
    for (List<Kernel> g : groups) {
      PackedLaunch p = f.packGrouped(launches(g.toArray(new Kernel[0])));
      GroupedGeometry geo = GroupedGeometry.of(g);
      assertEquals(List.of(p.calls().get(0).function()), geo.kernels());
      assertEquals(p.calls().get(0).gridX(), geo.totalBlocks(), geo.kernels() + " grid");
      assertEquals(p.calls().get(0).blockX(), geo.footprint().threadsPerBlock(), geo.kernels() + " block");
    }
  }

  static int[] ints(ByteBuffer b, int at, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = b.getInt(at + 4 * i);
    }
    return out;
  }
}
