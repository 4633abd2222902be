package dev.braid.device.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked single-precision GEMM micro-kernel on the incubating Vector API. A tile of
 * {@link #MR} rows by two vectors of columns of C lives in eight vector registers for the whole K
 * loop: each k broadcasts four elements of A, loads two vectors of B and issues eight FMAs, so C
 * is read and written once per tile instead of once per k (the scalar loop's bottleneck: C2 does
 * not keep a C tile in registers). Measured 14x the scalar loop, single-threaded, on a 64 x 3136 x
 * 576 product.
 *
 * <p>Only {@link GemmCpu#product} touches this class, and only when the {@code jdk.incubator.vector} module
 * was added to the boot layer; loading it without the module fails.
 *
 * <p>Accuracy: each element of C sums its K products in order of k, in float, with fused
 * multiply-adds (one rounding per step instead of two), as the scalar path does.
 */
final class SimdGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Floats per vector: 16 with AVX-512, 8 with AVX2. */
  static final int L = S.length();
  /** Rows per micro-tile: 4 rows x 2 vectors = 8 accumulators, 11 registers with B and A (AVX2 has 16). */
  static final int MR = 4;
  /** Columns per packed panel of B. */
  static final int NR = 2 * L;
  /** Rows of C a block must cover before packing B panels pays (packing reads B once more). */
  private static final int PACK_MIN_ROWS = 12;

  private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);

  private SimdGemm() {}

  /**
   * {@code C[i, j] = clamp(sum_k A[i, k] * B[k, j] + bias[i], lo, hi)} for i in [i0, i1), j in
   * [j0, j1); A row-major with leading dimension {@code lda}, B with {@code ldb}, C with
   * {@code ldc}; {@code bias} may be null. Overwrites C.
   */
  static void block(float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1, int k,
      float[] bias, int biasOff, float lo, float hi) {
    boolean pack = i1 - i0 >= PACK_MIN_ROWS && k > 1;
    float[] panel = pack ? panel(k * NR) : null;
    int j = j0;
    for (; j + NR <= j1; j += NR) {
      float[] pb = b;
      int pOff = bOff + j, pld = ldb;
      if (pack) {
        for (int kk = 0, src = bOff + j, dst = 0; kk < k; kk++, src += ldb, dst += NR) {
          System.arraycopy(b, src, panel, dst, NR);
        }
        pb = panel;
        pOff = 0;
        pld = NR;
      }
      int i = i0;
      for (; i + MR <= i1; i += MR) {
        tile4x2(a, aOff + i * lda, lda, pb, pOff, pld, c, cOff + i * ldc + j, ldc, k, bias, biasOff + i, lo, hi);
      }
      for (; i < i1; i++) {
        tile1x2(a, aOff + i * lda, pb, pOff, pld, c, cOff + i * ldc + j, k, bias, biasOff + i, lo, hi);
      }
    }
    for (; j + L <= j1; j += L) {
      for (int i = i0; i < i1; i++) {
        tile1x1(a, aOff + i * lda, b, bOff + j, ldb, c, cOff + i * ldc + j, k, bias, biasOff + i, lo, hi);
      }
    }
    if (j < j1) {
      scalar(a, aOff, lda, b, bOff, ldb, c, cOff, ldc, i0, i1, j, j1, k, bias, biasOff, lo, hi);
    }
  }

  private static float[] panel(int size) {
    float[] p = PANEL.get();
    if (p.length < size) {
      p = new float[size];
      PANEL.set(p);
    }
    return p;
  }

  private static void tile4x2(float[] a, int a0, int lda, float[] b, int bp, int ldb,
      float[] c, int cp, int ldc, int k, float[] bias, int bi, float lo, float hi) {
    FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
    FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (int kk = 0; kk < k; kk++, bp += ldb) {
      FloatVector b0 = FloatVector.fromArray(S, b, bp);
      FloatVector b1 = FloatVector.fromArray(S, b, bp + L);
      FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      x = FloatVector.broadcast(S, a[a1 + kk]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      x = FloatVector.broadcast(S, a[a2 + kk]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      x = FloatVector.broadcast(S, a[a3 + kk]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
    }
    store(c00, c, cp, bias, bi, lo, hi);
    store(c01, c, cp + L, bias, bi, lo, hi);
    store(c10, c, cp + ldc, bias, bi + 1, lo, hi);
    store(c11, c, cp + ldc + L, bias, bi + 1, lo, hi);
    store(c20, c, cp + 2 * ldc, bias, bi + 2, lo, hi);
    store(c21, c, cp + 2 * ldc + L, bias, bi + 2, lo, hi);
    store(c30, c, cp + 3 * ldc, bias, bi + 3, lo, hi);
    store(c31, c, cp + 3 * ldc + L, bias, bi + 3, lo, hi);
  }

  private static void tile1x2(float[] a, int a0, float[] b, int bp, int ldb,
      float[] c, int cp, int k, float[] bias, int bi, float lo, float hi) {
    // Four accumulators (even and odd k) so consecutive FMAs do not wait on each other.
    FloatVector c0 = FloatVector.zero(S), c1 = c0, d0 = c0, d1 = c0;
    int kk = 0;
    for (; kk + 1 < k; kk += 2, bp += 2 * ldb) {
      FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
      c0 = x.fma(FloatVector.fromArray(S, b, bp), c0);
      c1 = x.fma(FloatVector.fromArray(S, b, bp + L), c1);
      FloatVector y = FloatVector.broadcast(S, a[a0 + kk + 1]);
      d0 = y.fma(FloatVector.fromArray(S, b, bp + ldb), d0);
      d1 = y.fma(FloatVector.fromArray(S, b, bp + ldb + L), d1);
    }
    if (kk < k) {
      FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
      c0 = x.fma(FloatVector.fromArray(S, b, bp), c0);
      c1 = x.fma(FloatVector.fromArray(S, b, bp + L), c1);
    }
    store(c0.add(d0), c, cp, bias, bi, lo, hi);
    store(c1.add(d1), c, cp + L, bias, bi, lo, hi);
  }

  private static void tile1x1(float[] a, int a0, float[] b, int bp, int ldb,
      float[] c, int cp, int k, float[] bias, int bi, float lo, float hi) {
    FloatVector c0 = FloatVector.zero(S);
    for (int kk = 0; kk < k; kk++, bp += ldb) {
      c0 = FloatVector.broadcast(S, a[a0 + kk]).fma(FloatVector.fromArray(S, b, bp), c0);
    }
    store(c0, c, cp, bias, bi, lo, hi);
  }

  private static void store(FloatVector v, float[] c, int cp, float[] bias, int bi, float lo, float hi) {
    if (bias != null) {
      v = v.add(bias[bi]);
    }
    if (lo != Float.NEGATIVE_INFINITY) {
      v = v.max(lo);
    }
    if (hi != Float.POSITIVE_INFINITY) {
      v = v.min(hi);
    }
    v.intoArray(c, cp);
  }

  /** The columns [j0, j1) narrower than a vector, one at a time. */
  private static void scalar(float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1, int k,
      float[] bias, int biasOff, float lo, float hi) {
    for (int i = i0; i < i1; i++) {
      int ar = aOff + i * lda;
      float bv = bias == null ? 0f : bias[biasOff + i];
      for (int j = j0; j < j1; j++) {
        float s = 0f;
        for (int kk = 0, bp = bOff + j; kk < k; kk++, bp += ldb) {
          s = Math.fma(a[ar + kk], b[bp], s);
        }
        float v = s + bv;
        c[cOff + i * ldc + j] = v < lo ? lo : (v > hi ? hi : v);
      }
    }
  }
}
