package dev.braid.device.cpu;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;

/**
 * Blocked single-precision matrix multiply. The core {@link #tile} computes a block of rows and
 * columns of {@code C = A * B} for row-major A (M x K) and B (K x N) in i-k-j order, so the
 * innermost loop runs over contiguous columns of B and C and the JIT vectorises it. K is cut into
 * blocks of {@link #K_BLOCK} so that the B panel stays in cache; sums accumulate in float, in
 * order of k, as ONNX Runtime's MLAS does. When the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, {@link #product} uses the register-blocked
 * {@link SimdGemm} instead (an order of magnitude faster); {@link #tile} is the fallback.
 */
final class GemmCpu {
  /** Whether the Vector API is in the boot layer, so that {@link SimdGemm} can load. */
  static final boolean SIMD = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && !Boolean.getBoolean("braid.cpu.noSimd");
  /**
   * Multiply-adds per task: 2^21 is about 40 us on one core at the SIMD kernel's ~60 GFLOP/s,
   * well above the fork-join cost of a few microseconds, yet cuts a ResNet 3x3 layer (~10^8) into
   * dozens of tasks for the pool to balance.
   */
  static final long TASK_MACS = 1L << 21;
  /** Most tasks per product: beyond this, more tasks only add overhead on any core count we use. */
  static final int MAX_TASKS = 64;

  /** 128 rows of a 256-column B panel are 128 KiB: fits a typical L2 with room for C rows. */
  static final int K_BLOCK = 128;
  /** 256 floats (1 KiB) of a C row per tile: long enough for vector loops, short enough to tile N. */
  static final int N_BLOCK = 256;
  /** Rows per task: enough work (M_BLOCK * N_BLOCK * K multiply-adds) to amortise task overhead. */
  static final int M_BLOCK = 16;

  private GemmCpu() {}

  static Work plan(Gemm g, Args args) {
    float[] a = args.array(0);
    float[] b = args.array(1);
    boolean hasBias = g.bias() != GemmBias.NONE;
    float[] c = hasBias ? args.array(2) : null;
    int cOff = hasBias ? args.offset(2) : 0;
    float[] y = args.array(args.last());
    int yOff = args.offset(args.last());
    int m = g.m(), n = g.n(), k = g.k();
    float[][] packedA = new float[g.batch()][];
    float[][] packedB = new float[g.batch()][];
    Work w = new Work();
    if (g.transA() || g.transB()) {
      w.phase();
      for (int bi = 0; bi < g.batch(); bi++) {
        int batch = bi;
        w.task(() -> {
          if (g.transA()) {
            packedA[batch] = transpose(a, args.offset(0) + g.aOffset(batch), k, m);
          }
          if (g.transB()) {
            packedB[batch] = transpose(b, args.offset(1) + g.bOffset(batch), n, k);
          }
        });
      }
    }
    w.phase();
    int[] rowCuts = split(m, n, k, true), colCuts = split(m, n, k, false);
    for (int bi = 0; bi < g.batch(); bi++) {
      int batch = bi;
      for (int ri = 0; ri + 1 < rowCuts.length; ri++) {
        for (int ci = 0; ci + 1 < colCuts.length; ci++) {
          int i0 = rowCuts[ri], i1 = rowCuts[ri + 1], j0 = colCuts[ci], j1 = colCuts[ci + 1];
          w.task(() -> {
            float[] pa = g.transA() ? packedA[batch] : a;
            int aBase = g.transA() ? 0 : args.offset(0) + g.aOffset(batch);
            float[] pb = g.transB() ? packedB[batch] : b;
            int bBase = g.transB() ? 0 : args.offset(1) + g.bOffset(batch);
            int yBase = yOff + batch * m * n;
            product(pa, aBase, k, pb, bBase, n, y, yBase, n, i0, i1, j0, j1, k, null, 0, Activation.NONE);
            epilogue(g, c, cOff, y, yBase, i0, i1, j0, j1);
          });
        }
      }
    }
    return w;
  }

  /**
   * Cut points of rows ({@code rows} true) or columns of an m x n x k product into tasks of about
   * {@link #TASK_MACS}: columns first, in whole SIMD panels (the per-task work on B is contiguous
   * then), rows only when the columns run out, in whole micro-tiles.
   */
  static int[] split(int m, int n, int k, boolean rows) {
    long macs = (long) m * n * k;
    int tasks = (int) Math.max(1, Math.min(MAX_TASKS, macs / TASK_MACS));
    int colUnit = SIMD ? SimdGemm.NR : 16;
    int colUnits = (n + colUnit - 1) / colUnit;
    int colTasks = Math.min(tasks, colUnits);
    int rowUnit = SIMD ? SimdGemm.MR : 1;
    int rowUnits = (m + rowUnit - 1) / rowUnit;
    int rowTasks = Math.min(rowUnits, (tasks + colTasks - 1) / colTasks);
    int parts = rows ? rowTasks : colTasks, units = rows ? rowUnits : colUnits, unit = rows ? rowUnit : colUnit;
    int total = rows ? m : n;
    int[] cuts = new int[parts + 1];
    for (int p = 0; p <= parts; p++) {
      cuts[p] = (int) Math.min(total, (long) units * p / parts * unit);
    }
    cuts[parts] = total;
    return cuts;
  }

  /**
   * {@code C[i, j] = act(sum_k A[i, k] * B[k, j] + bias[i])} for i in [i0, i1), j in [j0, j1);
   * {@code bias} may be null. Overwrites C.
   */
  static void product(float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1, int k,
      float[] bias, int biasOff, Activation act) {
    if (SIMD) {
      SimdGemm.block(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, i0, i1, j0, j1, k, bias, biasOff, act.min(), act.max());
    } else {
      tile(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, i0, i1, j0, j1, k);
      biasActivation(c, cOff, ldc, bias, biasOff, act, i0, i1, j0, j1);
    }
  }

  /**
   * {@code C[i, j] = sum_k A[i, k] * B[k, j]} for i in [i0, i1), j in [j0, j1); overwrites C. The
   * scalar fallback for JVMs without the Vector API: each {@link #K_BLOCK} slice of K is summed in
   * float (the loop the JIT vectorises) and the slices are added in double, so long reductions
   * (K = 4608) stay as accurate as the SIMD kernel's compensated sums.
   */
  static void tile(float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1, int k) {
    int w = j1 - j0;
    double[] sum = new double[(i1 - i0) * w];
    float[] part = new float[2 * w];
    for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
      int k1 = Math.min(k, k0 + K_BLOCK);
      int i = i0;
      for (; i + 1 < i1; i += 2) {
        java.util.Arrays.fill(part, 0f);
        int a0 = aOff + i * lda, a1 = a0 + lda;
        for (int kk = k0; kk < k1; kk++) {
          float x0 = a[a0 + kk], x1 = a[a1 + kk];
          int bRow = bOff + kk * ldb + j0;
          for (int j = 0; j < w; j++) {
            float bv = b[bRow + j];
            part[j] += x0 * bv;
            part[w + j] += x1 * bv;
          }
        }
        int s0 = (i - i0) * w;
        for (int j = 0; j < 2 * w; j++) {
          sum[s0 + j] += part[j];
        }
      }
      for (; i < i1; i++) {
        java.util.Arrays.fill(part, 0, w, 0f);
        int a0 = aOff + i * lda;
        for (int kk = k0; kk < k1; kk++) {
          float x0 = a[a0 + kk];
          int bRow = bOff + kk * ldb + j0;
          for (int j = 0; j < w; j++) {
            part[j] += x0 * b[bRow + j];
          }
        }
        int s0 = (i - i0) * w;
        for (int j = 0; j < w; j++) {
          sum[s0 + j] += part[j];
        }
      }
    }
    for (int i = i0; i < i1; i++) {
      int row = cOff + i * ldc + j0;
      int s0 = (i - i0) * w;
      for (int j = 0; j < w; j++) {
        c[row + j] = (float) sum[s0 + j];
      }
    }
  }

  private static void epilogue(Gemm g, float[] c, int cOff, float[] y, int yBase, int i0, int i1, int j0, int j1) {
    float alpha = g.alpha(), beta = g.beta();
    GemmBias mode = g.bias();
    if (alpha == 1f && mode == GemmBias.NONE) {
      return;
    }
    int n = g.n();
    for (int i = i0; i < i1; i++) {
      int row = yBase + i * n;
      for (int j = j0; j < j1; j++) {
        float bias = switch (mode) {
          case NONE -> 0f;
          case SCALAR -> beta * c[cOff];
          case PER_COLUMN -> beta * c[cOff + j];
          case PER_ROW -> beta * c[cOff + i];
          case FULL -> beta * c[cOff + i * n + j];
        };
        y[row + j] = alpha * y[row + j] + bias;
      }
    }
  }

  /** The transpose of a rows x cols row-major matrix at {@code off}, as a new cols x rows array. */
  static float[] transpose(float[] src, int off, int rows, int cols) {
    float[] t = new float[rows * cols];
    for (int r = 0; r < rows; r++) {
      int base = off + r * cols;
      for (int cc = 0; cc < cols; cc++) {
        t[cc * rows + r] = src[base + cc];
      }
    }
    return t;
  }

  /** Applies bias per row and an activation to rows [i0, i1), columns [j0, j1) of C. */
  static void biasActivation(float[] c, int cOff, int ldc, float[] bias, int biasOff,
      Activation act, int i0, int i1, int j0, int j1) {
    if (bias == null && act.isNone()) {
      return;
    }
    for (int i = i0; i < i1; i++) {
      float bv = bias == null ? 0f : bias[biasOff + i];
      int row = cOff + i * ldc;
      for (int j = j0; j < j1; j++) {
        c[row + j] = act.apply(c[row + j] + bv);
      }
    }
  }
}
