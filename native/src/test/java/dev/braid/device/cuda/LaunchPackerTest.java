package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.BufferSlice;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cuda.KernelParam.F32;
import dev.braid.device.cuda.KernelParam.I32;
import dev.braid.device.cuda.KernelParam.I64;
import dev.braid.device.cuda.KernelParam.Ptr;
import dev.braid.device.cuda.KernelParam.Struct;
import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.model.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LaunchPacker against native/src/main/cuda/README.md: for each kernel kind the CUDA function,
 * grid, block and every parameter in cuLaunchKernel order with its type, over fake device
 * addresses above 2^32 (a truncation would show).
 */
class LaunchPackerTest {
  /** Fake device memory: each buffer gets its own 1 MiB-aligned address. */
  static final class Fake {
    final Map<DeviceBuffer, Long> bases = new IdentityHashMap<>();
    long nextBase = 0x7f10_0000_0000L;
    final List<Long> allocated = new ArrayList<>();
    final List<Long> freed = new ArrayList<>();
    long nextScratch = 0x7f20_0000_0000L;
    int failAfter = Integer.MAX_VALUE;

    BufferSlice slice(long bytes) {
      DeviceBuffer b = () -> bytes;
      bases.put(b, nextBase);
      nextBase += 1 << 20;
      return b.whole();
    }

    long addr(BufferSlice s) {
      return bases.get(s.buffer()) + s.offsetBytes();
    }

    KernelLaunch launch(Kernel k) {
      List<BufferSlice> args = new ArrayList<>();
      for (int i = 0; i < k.argNames().size(); i++) {
        args.add(slice(Math.max(4, k.argBytes(i))));
      }
      return new KernelLaunch(k, args);
    }

    PackedLaunch pack(dev.braid.device.Launch l) {
      return LaunchPacker.pack(l, this::addr, scratch());
    }

    /** Packs a problem list as a grouped launch, without GroupedLaunch's own checks. */
    PackedLaunch packGrouped(List<KernelLaunch> problems) {
      return LaunchPacker.packGrouped(problems, this::addr, scratch());
    }

    LaunchPacker.Scratch scratch() {
      return new LaunchPacker.Scratch() {
        @Override
        public long allocate(long bytes) {
          if (allocated.size() >= failAfter) {
            throw new DeviceException(DeviceException.Reason.OUT_OF_MEMORY, "fake pool exhausted");
          }
          long a = nextScratch;
          nextScratch += (bytes + 255) / 256 * 256;
          allocated.add(a);
          return a;
        }

        @Override
        public void free(long address) {
          freed.add(address);
        }
      };
    }
  }

  final Fake f = new Fake();

  static void geometry(KernelCall c, String fn, int gx, int gy, int block) {
    assertEquals(fn, c.function());
    assertEquals(gx, c.gridX(), fn + " grid x");
    assertEquals(gy, c.gridY(), fn + " grid y");
    assertEquals(1, c.gridZ());
    assertEquals(block, c.blockX(), fn + " block");
    assertEquals(1, c.blockY());
    assertEquals(0, c.sharedBytes(), "static shared memory only");
  }

  static ByteBuffer le(KernelParam p) {
    return ByteBuffer.wrap(((Struct) p).bytes()).order(ByteOrder.LITTLE_ENDIAN);
  }

  static int[] ints(byte[] b) {
    ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int[] out = new int[b.length / 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = bb.getInt(4 * i);
    }
    return out;
  }

  @Test
  void tiledGemmTakesTheProblemByValueAndUploadedBatchOffsets() {
    Gemm g = Gemm.of(70, 130, 33, false, false, 1f, 1f, GemmBias.PER_COLUMN);
    KernelLaunch k = f.launch(g);
    PackedLaunch p = f.pack(k);
    assertEquals(1, p.calls().size());
    KernelCall c = p.calls().get(0);
    geometry(c, "braid_gemm_f32", 2 * 3, 1, 256);
    assertEquals(3, c.params().size());
    ByteBuffer expected = ByteBuffer.allocate(88).order(ByteOrder.LITTLE_ENDIAN);
    GroupedGemmTable.put(expected, 0, g, f.addr(k.args().get(0)), f.addr(k.args().get(1)), f.addr(k.args().get(2)),
        f.addr(k.args().get(3)), 0);
    assertEquals(new Struct("BraidGemmProblem", expected.array()), c.params().get(0));
    long table = f.allocated.get(0);
    assertEquals(new Ptr(table), c.params().get(1));
    assertEquals(new Ptr(table + 4), c.params().get(2), "bOffsets follow the batch's aOffsets");
    assertArrayEquals(new int[] {0, 0}, ints(p.uploads().get(0).bytes()));
    assertEquals(table, p.uploads().get(0).address());
    assertEquals(List.of(table), p.scratch());
    assertEquals(f.addr(k.args().get(2)), le(c.params().get(0)).getLong(GroupedGemmTable.OFF_C));
    assertTrue(p.label().startsWith("braid_gemm_f32 (Gemm[batch=1 M=70 N=130 K=33"), p.label());
  }

  @Test
  void batchedGemmGridsOverBatchAndUploadsEachEntrysOffsets() {
    Gemm g = Gemm.strided(3, 20, 65, 16, 320, 0);
    PackedLaunch p = f.pack(f.launch(g));
    KernelCall c = p.calls().get(0);
    geometry(c, "braid_gemm_f32", 1 * 2, 3, 256);
    long table = f.allocated.get(0);
    assertEquals(new Ptr(table + 12), c.params().get(2));
    assertArrayEquals(new int[] {0, 320, 640, 0, 0, 0}, ints(p.uploads().get(0).bytes()));
  }

  @Test
  void skinnyGemmWhenTheShortSideIsAtMost16() {
    for (int[] mn : new int[][] {{1, 1000}, {16, 17}, {1000, 3}}) {
      Gemm g = Gemm.of(mn[0], mn[1], 256);
      KernelCall c = f.pack(f.launch(g)).calls().get(0);
      geometry(c, "braid_gemm_skinny_f32", (Math.max(mn[0], mn[1]) + 31) / 32, 1, 128);
      assertEquals(0, le(c.params().get(0)).getLong(GroupedGemmTable.OFF_C), "no bias: c is 0");
    }
    assertEquals("braid_gemm_f32", f.pack(f.launch(Gemm.of(17, 17, 8))).calls().get(0).function());
  }

  @Test
  void convolutionUsesTheImplicitGemmOrTheDepthwiseKernel() {
    Conv2d conv = new Conv2d(2, 8, 10, 12, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU);
    KernelLaunch k = f.launch(conv);
    KernelCall c = f.pack(k).calls().get(0);
    int tilesM = (2 * 10 * 12 + 63) / 64, tilesN = 2;
    geometry(c, "braid_conv2d_f32", tilesM * tilesN, 1, 256);
    ByteBuffer expected = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
    GroupedConvTable.put(expected, 0, conv, f.addr(k.args().get(0)), f.addr(k.args().get(1)),
        f.addr(k.args().get(2)), f.addr(k.args().get(3)), 0);
    assertEquals(List.of(new Struct("BraidConvProblem", expected.array())), c.params());

    Conv2d dw = Conv2d.simple(1, 32, 7, 7, 64, 3, 2, 1, 32);
    KernelCall d = f.pack(f.launch(dw)).calls().get(0);
    geometry(d, "braid_conv2d_depthwise_f32", (64 * 4 * 4 + 255) / 256, 1, 256);
    assertEquals(0, le(d.params().get(0)).getLong(GroupedConvTable.OFF_BIAS), "no bias: 0");
    assertEquals(32, le(d.params().get(0)).getInt(GroupedConvTable.OFF_GROUPS));
  }

  @Test
  void groupedGemmUploadsTheTableAndLaunchesOneBlockPerTile() {
    List<KernelLaunch> problems = List.of(
        f.launch(Gemm.of(70, 130, 33)),
        f.launch(new Gemm(2, 5, 64, 17, true, false, 0.5f, 2f, GemmBias.PER_ROW, new int[] {0, 85}, new int[] {0, 0})),
        f.launch(Gemm.of(1, 1, 1)));
    // tiled and skinny shapes together: no GroupedLaunch takes both keys, the packer's list does
    PackedLaunch p = f.packGrouped(problems);
    GroupedGemmTable table = GroupedGemmTable.of(problems, f::addr);
    assertEquals(4, table.count(), "batch entries become problems");
    assertEquals(6 + 1 + 1 + 1, table.totalTiles());
    KernelCall c = p.calls().get(0);
    geometry(c, "braid_gemm_grouped_f32", table.totalTiles(), 1, 256);
    long at = f.allocated.get(0);
    assertEquals(List.of(new Ptr(at), new I32(4)), c.params());
    byte[] uploaded = p.uploads().get(0).bytes();
    assertArrayEquals(table.bytes(), uploaded);
    ByteBuffer t = ByteBuffer.wrap(uploaded).order(ByteOrder.LITTLE_ENDIAN);
    int[] firstTiles = {0, 6, 7, 8};
    for (int i = 0; i < 4; i++) {
      assertEquals(firstTiles[i], t.getInt(88 * i + GroupedGemmTable.OFF_FIRST_TILE), "problem " + i);
      assertEquals(i, table.tileMap().problemOf(firstTiles[i]));
    }
    long a1 = f.addr(problems.get(1).args().get(0));
    assertEquals(a1 + 4 * 85, t.getLong(88 * 2 + GroupedGemmTable.OFF_A), "second batch entry's A offset");
    long y1 = f.addr(problems.get(1).args().get(3));
    assertEquals(y1 + 4 * 5 * 64, t.getLong(88 * 2 + GroupedGemmTable.OFF_Y));
  }

  @Test
  void groupedConvRunsDepthwiseProblemsOnTheGroupedDepthwiseKernelBesideTheImplicitGemm() {
    Conv2d a = Conv2d.simple(1, 16, 14, 14, 32, 3, 1, 1, 1);
    Conv2d dw = Conv2d.simple(1, 16, 14, 14, 16, 3, 1, 1, 16);
    Conv2d b = Conv2d.simple(1, 8, 7, 7, 100, 1, 1, 0, 2);
    List<KernelLaunch> problems = List.of(f.launch(a), f.launch(dw), f.launch(b));
    PackedLaunch p = f.packGrouped(problems);
    GroupedConvTable table = GroupedConvTable.of(List.of(problems.get(0), problems.get(2)), f::addr);
    assertEquals(2, p.calls().size());
    geometry(p.calls().get(0), "braid_conv2d_grouped_f32", table.totalTiles(), 1, 256);
    assertEquals(List.of(new Ptr(f.allocated.get(0)), new I32(2)), p.calls().get(0).params());
    assertArrayEquals(table.bytes(), p.uploads().get(0).bytes());
    assertEquals(4 * 1 + 2 * 1 * 1, table.totalTiles(), "a: 4 pixel tiles x 1; b: 2 groups x 1 x 1");
    geometry(p.calls().get(1), "braid_conv2d_depthwise_grouped_f32", (16 * 196 + 255) / 256, 1, 256);
    assertEquals(List.of(new Ptr(f.allocated.get(1)), new I32(1)), p.calls().get(1).params());
    assertTrue(p.label().contains("braid_conv2d_grouped_f32+braid_conv2d_depthwise_grouped_f32"), p.label());
  }

  @Test
  void gemmsBesideConvolutionsRunOnTheTiledGroupedKernelOverBothTablesInOneUpload() {
    Conv2d a = Conv2d.simple(1, 16, 14, 14, 32, 3, 1, 1, 1);
    Gemm g = Gemm.of(70, 130, 33);
    Conv2d b = Conv2d.simple(1, 8, 7, 7, 100, 1, 1, 0, 2);
    Gemm batched = new Gemm(2, 40, 64, 17, true, false, 0.5f, 2f, GemmBias.PER_ROW, new int[] {0, 680}, new int[] {0, 0});
    List<KernelLaunch> problems = List.of(f.launch(a), f.launch(g), f.launch(b), f.launch(batched));
    PackedLaunch p = f.packGrouped(problems);
    GroupedGemmTable gemms = GroupedGemmTable.of(List.of(problems.get(1), problems.get(3)), f::addr);
    assertEquals(6 + 1 + 1, gemms.totalTiles(), "70x130: 2 x 3 tiles; each 40x64 batch entry one");
    GroupedConvTable convs = GroupedConvTable.of(List.of(problems.get(0), problems.get(2)), f::addr, gemms.totalTiles());
    assertEquals(1, p.uploads().size(), "both tables in one upload");
    assertEquals(1, p.calls().size(), "one kernel");
    assertEquals(2, LaunchPacker.driverCalls(new GroupedLaunch(problems)), "one upload, one call: as a one-kind group");
    KernelCall c = p.calls().get(0);
    geometry(c, "braid_tiled_grouped_f32", gemms.totalTiles() + convs.totalTiles(), 1, 256);
    long at = f.allocated.get(0);
    int gemmBytes = 3 * GroupedGemmTable.PROBLEM_BYTES;
    assertEquals(List.of(new Ptr(at), new I32(3), new Ptr(at + gemmBytes), new I32(2), new I32(8)), c.params());
    byte[] uploaded = p.uploads().get(0).bytes();
    assertArrayEquals(gemms.bytes(), Arrays.copyOfRange(uploaded, 0, gemmBytes));
    assertArrayEquals(convs.bytes(), Arrays.copyOfRange(uploaded, gemmBytes, uploaded.length));
    ByteBuffer t = ByteBuffer.wrap(uploaded).order(ByteOrder.LITTLE_ENDIAN);
    // the convolutions' tiles follow the GEMMs': 8, then 8 + a's 4
    assertEquals(8, t.getInt(gemmBytes + GroupedConvTable.OFF_FIRST_TILE));
    assertEquals(12, t.getInt(gemmBytes + GroupedConvTable.PROBLEM_BYTES + GroupedConvTable.OFF_FIRST_TILE));
    assertEquals(f.addr(problems.get(2).args().get(0)), t.getLong(gemmBytes + GroupedConvTable.PROBLEM_BYTES + GroupedConvTable.OFF_X));
    assertTrue(p.label().startsWith("braid_tiled_grouped_f32 (grouped launch of 4 Gemm/Conv2d problems)"), p.label());
  }

  @Test
  void elementwiseKernelsTakeTheirScalarsInOrder() {
    KernelLaunch u = f.launch(Unary.clip(5000, -1f, 2f));
    KernelCall c = f.pack(u).calls().get(0);
    geometry(c, "braid_unary_f32", 5, 1, 256);
    assertEquals(List.of(new Ptr(f.addr(u.args().get(0))), new Ptr(f.addr(u.args().get(1))), new I64(5000),
        new I32(UnaryOp.CLIP.ordinal()), new F32(-1f), new F32(2f)), c.params());

    KernelLaunch bn = f.launch(new BatchNorm(2, 3, 100));
    c = f.pack(bn).calls().get(0);
    geometry(c, "braid_batchnorm_f32", 1, 1, 256);
    assertEquals(List.of(new Ptr(f.addr(bn.args().get(0))), new Ptr(f.addr(bn.args().get(1))),
        new Ptr(f.addr(bn.args().get(2))), new Ptr(f.addr(bn.args().get(3))), new I64(600), new I32(3), new I32(100)),
        c.params());

    KernelLaunch cp = f.launch(new Copy(1025));
    c = f.pack(cp).calls().get(0);
    geometry(c, "braid_copy_f32", 2, 1, 256);
    assertEquals(List.of(new Ptr(f.addr(cp.args().get(0))), new Ptr(f.addr(cp.args().get(1))), new I64(1025)), c.params());

    assertEquals(List.of(), f.pack(f.launch(new Copy(0))).calls(), "no work, no launch (a 0-block grid is invalid)");
  }

  @Test
  void binaryPassesBroadcastStridesInTheShapeStruct() {
    Binary b = Binary.of(BinaryOp.POW, Shape.of(2, 3, 4), Shape.of(3, 1));
    KernelLaunch k = f.launch(b);
    KernelCall c = f.pack(k).calls().get(0);
    geometry(c, "braid_binary_f32", 1, 1, 256);
    assertEquals(6, c.params().size());
    assertEquals(new I64(24), c.params().get(3));
    assertEquals(new I32(BinaryOp.POW.ordinal()), c.params().get(4));
    int[] s = ints(((Struct) c.params().get(5)).bytes());
    assertEquals(34, s.length, "BraidShape is 136 bytes");
    assertEquals(3, s[0]);
    assertEquals(0, s[1]);
    assertArrayEquals(new int[] {2, 3, 4, 0, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(s, 2, 10), "dims");
    assertArrayEquals(new int[] {12, 4, 1, 0, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(s, 10, 18), "strideA");
    assertArrayEquals(new int[] {0, 1, 0, 0, 0, 0, 0, 0}, java.util.Arrays.copyOfRange(s, 18, 26), "strideB");
  }

  @Test
  void transposePassesTheInputStrideOfEachOutputAxis() {
    Transpose t = new Transpose(Shape.of(2, 3, 4), List.of(0, 2, 1));
    KernelCall c = f.pack(f.launch(t)).calls().get(0);
    geometry(c, "braid_transpose_f32", 1, 1, 256);
    assertEquals(new I64(24), c.params().get(2));
    int[] s = ints(((Struct) c.params().get(3)).bytes());
    assertArrayEquals(new int[] {3, 0, 2, 4, 3}, java.util.Arrays.copyOfRange(s, 0, 5), "rank, rank2, out dims");
    assertArrayEquals(new int[] {12, 1, 4}, java.util.Arrays.copyOfRange(s, 10, 13), "input strides per out axis");
  }

  @Test
  void concatPacksAddressesAndColumnStarts() {
    Concat cat = new Concat(List.of(Shape.of(2, 3, 5), Shape.of(2, 1, 5), Shape.of(2, 4, 5)), 1);
    KernelLaunch k = f.launch(cat);
    KernelCall c = f.pack(k).calls().get(0);
    geometry(c, "braid_concat_f32", 1, 1, 256);
    ByteBuffer s = le(c.params().get(0));
    assertEquals(200, s.capacity());
    for (int i = 0; i < 3; i++) {
      assertEquals(f.addr(k.args().get(i)), s.getLong(8 * i));
    }
    assertEquals(0, s.getLong(8 * 3));
    assertArrayEquals(new int[] {0, 15, 20, 40}, new int[] {s.getInt(128), s.getInt(132), s.getInt(136), s.getInt(140)});
    assertEquals(3, s.getInt(196));
    assertEquals(List.of(new Ptr(f.addr(k.args().get(3))), new I32(2), new I32(40)), c.params().subList(1, 4));
  }

  @Test
  void concatOverSixteenInputsRunsInRoundsThroughIntermediates() {
    List<Shape> in = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      in.add(Shape.of(3, 2));
    }
    KernelLaunch k = f.launch(new Concat(in, 1));
    PackedLaunch p = f.pack(k);
    assertEquals(3, p.calls().size(), "16 inputs, then 4, then the two intermediates");
    assertEquals(2, p.scratch().size());
    ByteBuffer last = le(p.calls().get(2).params().get(0));
    assertEquals(2, last.getInt(196));
    assertEquals(p.scratch().get(0), last.getLong(0));
    assertEquals(p.scratch().get(1), last.getLong(8));
    assertArrayEquals(new int[] {0, 32, 40}, new int[] {last.getInt(128), last.getInt(132), last.getInt(136)});
    assertEquals(new Ptr(f.addr(k.args().get(20))), p.calls().get(2).params().get(1));
    assertEquals(new Ptr(p.scratch().get(0)), p.calls().get(0).params().get(1));
    assertEquals(new I32(32), p.calls().get(0).params().get(3));

    Fake g = new Fake();
    List<Shape> row = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      row.add(Shape.of(1, 2));
    }
    KernelLaunch one = g.launch(new Concat(row, 1));
    PackedLaunch q = g.pack(one);
    assertEquals(2, q.calls().size(), "one row: each round writes its columns of Y directly");
    assertEquals(List.of(), q.scratch());
    assertEquals(new Ptr(g.addr(one.args().get(20)) + 4 * 32), q.calls().get(1).params().get(1));
  }

  @Test
  void gatherZeroesItsStatusWordBeforeAndChecksItAfter() {
    Gather g = new Gather(Shape.of(4, 10, 3), 1, 5);
    KernelLaunch k = f.launch(g);
    PackedLaunch p = f.pack(k);
    long status = f.allocated.get(0);
    assertEquals(status, p.uploads().get(0).address());
    assertArrayEquals(new byte[4], p.uploads().get(0).bytes());
    KernelCall c = p.calls().get(0);
    geometry(c, "braid_gather_f32", 1, 1, 256);
    assertEquals(List.of(new Ptr(f.addr(k.args().get(0))), new Ptr(f.addr(k.args().get(1))),
        new Ptr(f.addr(k.args().get(2))), new I32(4), new I32(5), new I32(3), new I32(10), new Ptr(status)), c.params());
    assertEquals(status, p.checks().get(0).address());
    assertTrue(p.checks().get(0).failure().contains("out of range [-10, 10)"), p.checks().get(0).failure());
  }

  @Test
  void poolingPassesAllTwentyScalarsInDeclarationOrder() {
    Pool2d pool = new Pool2d(Pool2d.PoolMode.AVERAGE, 2, 3, 9, 8, 3, 2, 2, 1, 1, 0, 1, 1, 1, 1, 5, 8, true);
    KernelLaunch k = f.launch(pool);
    KernelCall c = f.pack(k).calls().get(0);
    geometry(c, "braid_pool2d_f32", (2 * 3 * 5 * 8 + 255) / 256, 1, 256);
    List<KernelParam> expected = new ArrayList<>(List.of(new Ptr(f.addr(k.args().get(0))), new Ptr(f.addr(k.args().get(1)))));
    for (int v : new int[] {1, 2, 3, 9, 8, 3, 2, 2, 1, 1, 0, 1, 1, 1, 1, 5, 8, 1}) {
      expected.add(new I32(v));
    }
    assertEquals(expected, c.params());
  }

  @Test
  void reductionsSizeTheirBlocksToThePowerOfTwoOfTheirLength() {
    KernelCall gap = f.pack(f.launch(new GlobalAveragePool(20, 49))).calls().get(0);
    geometry(gap, "braid_global_avg_pool_f32", 3, 1, 256);
    assertEquals(List.of(new I32(20), new I32(49)), gap.params().subList(2, 4));

    KernelCall sm = f.pack(f.launch(new Softmax(3, 100, 2))).calls().get(0);
    geometry(sm, "braid_softmax_f32", 6, 1, 128);
    assertEquals(List.of(new I32(100), new I32(2)), sm.params().subList(2, 4));
    assertEquals(32, f.pack(f.launch(new Softmax(1, 10, 1))).calls().get(0).blockX());
    assertEquals(256, f.pack(f.launch(new Softmax(1, 1000, 1))).calls().get(0).blockX());

    KernelLaunch ln = f.launch(new LayerNorm(7, 768, 1e-5f, false));
    KernelCall l = f.pack(ln).calls().get(0);
    geometry(l, "braid_layernorm_f32", 7, 1, 256);
    assertEquals(List.of(new Ptr(f.addr(ln.args().get(0))), new Ptr(f.addr(ln.args().get(1))), new Ptr(0),
        new Ptr(f.addr(ln.args().get(2))), new I32(768), new F32(1e-5f)), l.params());
    KernelLaunch lnb = f.launch(new LayerNorm(7, 40, 1e-5f, true));
    assertEquals(new Ptr(f.addr(lnb.args().get(2))), f.pack(lnb).calls().get(0).params().get(2));
    assertEquals(64, f.pack(lnb).calls().get(0).blockX());
  }

  @Test
  void reduceMeanSplitsKeptAndReducedAxes() {
    ReduceMean r = new ReduceMean(Shape.of(2, 3, 4, 5), List.of(1, 3));
    KernelLaunch k = f.launch(r);
    KernelCall c = f.pack(k).calls().get(0);
    geometry(c, "braid_reduce_mean_f32", 8, 1, 32);
    assertEquals(new I64(15), c.params().get(3));
    int[] s = ints(((Struct) c.params().get(2)).bytes());
    assertEquals(2, s[0], "kept rank");
    assertEquals(2, s[1], "reduced rank");
    assertArrayEquals(new int[] {2, 4}, java.util.Arrays.copyOfRange(s, 2, 4), "kept dims");
    assertArrayEquals(new int[] {60, 5}, java.util.Arrays.copyOfRange(s, 10, 12), "kept strides");
    assertArrayEquals(new int[] {20, 1}, java.util.Arrays.copyOfRange(s, 18, 20), "reduced strides");
    assertArrayEquals(new int[] {3, 5}, java.util.Arrays.copyOfRange(s, 26, 28), "reduced dims");
  }

  @Test
  void aFailedPackReturnsTheScratchItTook() {
    List<Shape> in = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      in.add(Shape.of(2, 1));
    }
    f.failAfter = 1;
    DeviceException e = assertThrows(DeviceException.class, () -> f.pack(f.launch(new Concat(in, 1))));
    assertEquals(DeviceException.Reason.OUT_OF_MEMORY, e.reason());
    assertEquals(f.allocated, f.freed);

    Transpose rank9 = new Transpose(Shape.of(1, 1, 1, 1, 1, 1, 1, 1, 2), List.of(8, 1, 2, 3, 4, 5, 6, 7, 0));
    DeviceException r = assertThrows(DeviceException.class, () -> f.pack(f.launch(rank9)));
    assertTrue(r.getMessage().contains("rank 9 exceeds"), r.getMessage());
  }

  /** Asserts {@code c} is braid_f32_to_bf16 of n floats from {@code src} into {@code dst}. */
  static void conversion(KernelCall c, long src, long dst, long n) {
    geometry(c, "braid_f32_to_bf16", (int) ((n + 1023) / 1024), 1, 256);
    assertEquals(List.of(new Ptr(src), new Ptr(dst), new I64(n)), c.params());
  }

  @Test
  void bf16GemmConvertsBothOperandsIntoScratchThenRunsTheWmmaKernel() {
    Gemm g = Gemm.of(70, 130, 33, true, false, 0.5f, 2f, GemmBias.PER_COLUMN).withPrecision(Precision.BF16_FP32_ACC);
    KernelLaunch k = f.launch(g);
    PackedLaunch p = f.pack(k);
    assertEquals(3, p.calls().size(), "A, B conversions then the GEMM");
    long offsets = f.allocated.get(0), a16 = f.allocated.get(1), b16 = f.allocated.get(2);
    assertEquals(List.of(offsets, a16, b16), p.scratch());
    assertEquals((70 * 33 * 2 + 255) / 256 * 256, b16 - a16, "A's scratch is 70 x 33 bf16, 2 bytes each");
    conversion(p.calls().get(0), f.addr(k.args().get(0)), a16, 70 * 33);
    conversion(p.calls().get(1), f.addr(k.args().get(1)), b16, 33 * 130);
    KernelCall c = p.calls().get(2);
    geometry(c, "braid_gemm_bf16", 2 * 3, 1, 128);
    ByteBuffer expected = ByteBuffer.allocate(88).order(ByteOrder.LITTLE_ENDIAN);
    GroupedGemmTable.put(expected, 0, g, a16, b16, f.addr(k.args().get(2)), f.addr(k.args().get(3)), 0);
    assertEquals(List.of(new Struct("BraidGemmProblem", expected.array()), new Ptr(offsets), new Ptr(offsets + 4)),
        c.params());
    ByteBuffer problem = le(c.params().get(0));
    assertEquals(f.addr(k.args().get(2)), problem.getLong(GroupedGemmTable.OFF_C), "C stays float32, not converted");
    assertEquals(1, problem.getInt(GroupedGemmTable.OFF_TRANS_A));
    assertTrue(p.label().startsWith("braid_f32_to_bf16+braid_gemm_bf16 (Gemm[batch=1 M=70"), p.label());
    assertTrue(p.label().contains("precision=BF16_FP32_ACC"), p.label());
  }

  @Test
  void bf16GemmHasNoSkinnyFormAndKeepsBatchOffsetsInElements() {
    Gemm g = new Gemm(3, 1, 1000, 64, false, true, 1f, 0f, GemmBias.NONE, new int[] {0, 64, 128}, new int[3],
        Precision.BF16_FP32_ACC);
    KernelLaunch k = f.launch(g);
    PackedLaunch p = f.pack(k);
    conversion(p.calls().get(0), f.addr(k.args().get(0)), f.allocated.get(1), 128 + 1 * 64);
    conversion(p.calls().get(1), f.addr(k.args().get(1)), f.allocated.get(2), 1000 * 64);
    geometry(p.calls().get(2), "braid_gemm_bf16", 16, 3, 128);
    assertArrayEquals(new int[] {0, 64, 128, 0, 0, 0}, ints(p.uploads().get(0).bytes()),
        "offsets count bf16 elements: the scratch copy has the float32 slice's layout");
  }

  @Test
  void bf16ConvolutionRunsTheWmmaKernelForEveryGroupingDepthwiseIncluded() {
    Conv2d conv = new Conv2d(2, 8, 10, 12, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU,
        Precision.BF16_FP32_ACC);
    KernelLaunch k = f.launch(conv);
    PackedLaunch p = f.pack(k);
    assertEquals(3, p.calls().size());
    long x16 = f.allocated.get(0), w16 = f.allocated.get(1);
    conversion(p.calls().get(0), f.addr(k.args().get(0)), x16, 2 * 8 * 10 * 12);
    conversion(p.calls().get(1), f.addr(k.args().get(1)), w16, 70 * 8 * 9);
    int tilesM = (2 * 10 * 12 + 63) / 64, tilesN = 2;
    geometry(p.calls().get(2), "braid_conv2d_bf16", tilesM * tilesN, 1, 128);
    ByteBuffer expected = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
    GroupedConvTable.put(expected, 0, conv, x16, w16, f.addr(k.args().get(2)), f.addr(k.args().get(3)), 0);
    assertEquals(List.of(new Struct("BraidConvProblem", expected.array())), p.calls().get(2).params());
    assertEquals(List.of(x16, w16), p.scratch());

    Conv2d dw = Conv2d.simple(1, 32, 7, 7, 64, 3, 2, 1, 32).withPrecision(Precision.BF16_FP32_ACC);
    PackedLaunch d = f.pack(f.launch(dw));
    geometry(d.calls().get(2), "braid_conv2d_bf16", 32 * 1 * 1, 1, 128);
    assertEquals(32, le(d.calls().get(2).params().get(0)).getInt(GroupedConvTable.OFF_GROUPS));
  }

  @Test
  void groupedLaunchesHoldingBf16ProblemsAreRefused() {
    Gemm f32 = Gemm.of(70, 130, 33);
    Gemm bf16 = f32.withPrecision(Precision.BF16_FP32_ACC);
    for (List<Kernel> problems : List.<List<Kernel>>of(List.of(f32, bf16), List.of(bf16, bf16),
        List.of(Conv2d.simple(1, 8, 9, 9, 16, 3, 1, 1, 1),
            Conv2d.simple(1, 8, 9, 9, 16, 3, 1, 1, 1).withPrecision(Precision.BF16_FP32_ACC)))) {
      List<KernelLaunch> launches = new ArrayList<>();
      problems.forEach(k -> launches.add(f.launch(k)));
      IllegalArgumentException g = assertThrows(IllegalArgumentException.class, () -> new GroupedLaunch(launches));
      assertTrue(g.getMessage().contains("no fusion key"), g.getMessage());
      DeviceException e = assertThrows(DeviceException.class, () -> f.packGrouped(launches));
      assertEquals(DeviceException.Reason.INVALID_ARGUMENT, e.reason());
      assertTrue(e.getMessage().contains("no grouped bf16 kernel"), e.getMessage());
    }
    assertEquals(List.of(), f.allocated, "refused before taking scratch");
  }
}
