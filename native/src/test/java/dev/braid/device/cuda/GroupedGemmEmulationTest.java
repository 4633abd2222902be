package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.braid.device.BufferSlice;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Runs braid_gemm_grouped_f32's block loop on the CPU over the table GroupedGemmTable builds: for
 * every block of the grid, the binary search over the table's firstTile, then the 64 x 64 tile's
 * float32 products in order of k and the alpha/beta epilogue, reading operands through the table's
 * 64-bit addresses. The result must equal CpuDevice's grouped GEMM.
 */
class GroupedGemmEmulationTest {
  /** A fake device address base: above 2^32, so a truncated pointer shows. */
  static final long BASE = 0x7f12_0000_0000L;

  @Test
  void tileMapFindsEachTilesProblem() {
    TileMap map = new TileMap(new long[] {3, 1, 5});
    assertEquals(9, map.totalTiles());
    int[] expected = {0, 0, 0, 1, 2, 2, 2, 2, 2};
    for (int t = 0; t < 9; t++) {
      assertEquals(expected[t], map.problemOf(t), "tile " + t);
    }
    assertEquals(4, map.firstTile(2));
    assertThrows(IllegalArgumentException.class, () -> new TileMap(new long[] {2, 0}));
  }

  @Test
  void emulatedGroupedKernelMatchesCpuDevice() {
    List<Gemm> gemms = List.of(
        Gemm.of(70, 130, 33),                                              // edges in M, N and K
        Gemm.of(5, 64, 17, true, false, 0.5f, 2f, GemmBias.PER_COLUMN),    // transA, bias per column
        Gemm.of(64, 9, 40, false, true, 1f, -1f, GemmBias.PER_ROW),        // transB, bias per row
        new Gemm(3, 20, 65, 16, false, false, 1f, 1f, GemmBias.FULL,       // batched, B shared
            new int[] {0, 320, 640}, new int[] {0, 0, 0}),
        Gemm.of(1, 1, 1, false, false, 2f, 3f, GemmBias.SCALAR));
    Random rnd = new Random(4);
    try (CpuDevice cpu = new CpuDevice(2, 1 << 26)) {
      long total = 0;
      for (Gemm g : gemms) {
        for (int i = 0; i < g.argNames().size(); i++) {
          total += g.argBytes(i);
        }
      }
      DeviceBuffer heap = cpu.allocate(total);
      float[] init = new float[(int) (total / 4)];
      for (int i = 0; i < init.length; i++) {
        init[i] = rnd.nextFloat() * 2 - 1;
      }
      List<KernelLaunch> launches = new ArrayList<>();
      long at = 0;
      for (Gemm g : gemms) {
        List<BufferSlice> args = new ArrayList<>();
        for (int i = 0; i < g.argNames().size(); i++) {
          args.add(new BufferSlice(heap, at, g.argBytes(i)));
          at += g.argBytes(i);
        }
        launches.add(new KernelLaunch(g, args));
      }
      BufferSlice all = new BufferSlice(heap, 0, total);
      cpu.upload(init, all, cpu.defaultStream()).toCompletableFuture().join();
      // Skinny and tiled shapes have different fusion keys, so no GroupedLaunch holds them all; the
      // reference runs them one by one, and the packer still runs such a mix on the tiled kernel.
      for (KernelLaunch l : launches) {
        cpu.launch(l, cpu.defaultStream()).toCompletableFuture().join();
      }
      float[] expected = cpu.download(all, cpu.defaultStream()).toCompletableFuture().join();

      GroupedGemmTable table = GroupedGemmTable.of(launches, s -> BASE + s.offsetBytes());
      assertEquals(1 + 1 + 1 + 3 + 1, table.count(), "one problem per batch entry");
      float[] mem = init.clone();
      emulate(table.bytes(), table.count(), table.totalTiles(), mem);
      for (int i = 0; i < mem.length; i++) {
        assertEquals(expected[i], mem[i], 1e-4f * Math.max(1f, Math.abs(expected[i])), "element " + i);
      }
    }
  }

  /** braid_gemm_grouped_f32, block by block. */
  static void emulate(byte[] tableBytes, int count, int totalTiles, float[] mem) {
    ByteBuffer t = ByteBuffer.wrap(tableBytes).order(ByteOrder.LITTLE_ENDIAN);
    int P = GroupedGemmTable.PROBLEM_BYTES;
    for (int block = 0; block < totalTiles; block++) {
      int lo = 0, hi = count - 1;  // braid_find_problem
      while (lo < hi) {
        int mid = (lo + hi + 1) >> 1;
        if (t.getInt(mid * P + GroupedGemmTable.OFF_FIRST_TILE) <= block) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      int p = lo * P;
      int a = idx(t.getLong(p)), b = idx(t.getLong(p + 8)), y = idx(t.getLong(p + 24));
      long cAddr = t.getLong(p + 16);
      int c = cAddr == 0 ? -1 : idx(cAddr);
      int m = t.getInt(p + 32), n = t.getInt(p + 36), k = t.getInt(p + 40);
      int lda = t.getInt(p + 44), ldb = t.getInt(p + 48), ldc = t.getInt(p + 52);
      boolean ta = t.getInt(p + 56) != 0, tb = t.getInt(p + 60) != 0;
      float alpha = t.getFloat(p + 64), beta = t.getFloat(p + 68);
      int mode = t.getInt(p + 72), tilesN = t.getInt(p + 80);
      int tile = block - t.getInt(p + 76);
      int row0 = tile / tilesN * 64, col0 = tile % tilesN * 64;
      for (int i = row0; i < Math.min(m, row0 + 64); i++) {
        for (int j = col0; j < Math.min(n, col0 + 64); j++) {
          float acc = 0f;
          for (int kk = 0; kk < k; kk++) {
            float av = ta ? mem[a + kk * lda + i] : mem[a + i * lda + kk];
            float bv = tb ? mem[b + j * ldb + kk] : mem[b + kk * ldb + j];
            acc = Math.fma(av, bv, acc);
          }
          float bias = switch (mode) {
            case 1 -> beta * mem[c];
            case 2 -> beta * mem[c + j];
            case 3 -> beta * mem[c + i];
            case 4 -> beta * mem[c + i * n + j];
            default -> 0f;
          };
          mem[y + i * ldc + j] = alpha * acc + bias;
        }
      }
    }
  }

  private static int idx(long address) {
    return Math.toIntExact((address - BASE) / 4);
  }
}
