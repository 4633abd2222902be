package dev.braid.device.cpu;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;

/**
 * Blocked single-precision matrix multiply. The core {@link #tile} computes a block of rows and
 * columns of {@code C = A * B} for row-major A (M x K) and B (K x N) in i-k-j order, so the
 * innermost loop runs over contiguous columns of B and C and the JIT vectorises it. K is cut into
 * blocks of {@link #K_BLOCK} so that the B panel stays in cache; sums accumulate in float, in
 * order of k, as ONNX Runtime's MLAS does.
 */
final class GemmCpu {
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
    for (int bi = 0; bi < g.batch(); bi++) {
      int batch = bi;
      for (int i0 = 0; i0 < m; i0 += M_BLOCK) {
        for (int j0 = 0; j0 < n; j0 += N_BLOCK) {
          int ri = i0, rj = j0;
          w.task(() -> {
            float[] pa = g.transA() ? packedA[batch] : a;
            int aBase = g.transA() ? 0 : args.offset(0) + g.aOffset(batch);
            float[] pb = g.transB() ? packedB[batch] : b;
            int bBase = g.transB() ? 0 : args.offset(1) + g.bOffset(batch);
            int yBase = yOff + batch * m * n;
            int i1 = Math.min(m, ri + M_BLOCK), j1 = Math.min(n, rj + N_BLOCK);
            tile(pa, aBase, k, pb, bBase, n, y, yBase, n, ri, i1, rj, j1, k);
            epilogue(g, c, cOff, y, yBase, ri, i1, rj, j1);
          });
        }
      }
    }
    return w;
  }

  /** {@code C[i, j] = sum_k A[i, k] * B[k, j]} for i in [i0, i1), j in [j0, j1); overwrites C. */
  static void tile(float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1, int k) {
    for (int i = i0; i < i1; i++) {
      java.util.Arrays.fill(c, cOff + i * ldc + j0, cOff + i * ldc + j1, 0f);
    }
    for (int k0 = 0; k0 < k; k0 += K_BLOCK) {
      int k1 = Math.min(k, k0 + K_BLOCK);
      int i = i0;
      for (; i + 1 < i1; i += 2) {
        int c0 = cOff + i * ldc, c1 = c0 + ldc;
        int a0 = aOff + i * lda, a1 = a0 + lda;
        for (int kk = k0; kk < k1; kk++) {
          float x0 = a[a0 + kk], x1 = a[a1 + kk];
          int bRow = bOff + kk * ldb;
          for (int j = j0; j < j1; j++) {
            float bv = b[bRow + j];
            c[c0 + j] += x0 * bv;
            c[c1 + j] += x1 * bv;
          }
        }
      }
      for (; i < i1; i++) {
        int c0 = cOff + i * ldc;
        int a0 = aOff + i * lda;
        for (int kk = k0; kk < k1; kk++) {
          float x0 = a[a0 + kk];
          int bRow = bOff + kk * ldb;
          for (int j = j0; j < j1; j++) {
            c[c0 + j] += x0 * b[bRow + j];
          }
        }
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
