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
 * <p>Accuracy: each element of C sums its products in order of k, in float, with fused
 * multiply-adds, in blocks of {@link #KB}; the block sums are added with Kahan compensation.
 */
final class SimdGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Floats per vector: 16 with AVX-512, 8 with AVX2. */
  static final int L = S.length();
  /** Rows per micro-tile: 4 rows x 2 vectors = 8 accumulators, 11 registers with B and A (AVX2 has 16). */
  static final int MR = 4;
  /**
   * Multiply-adds summed in fresh registers before they join the running total, which adds them
   * with Kahan compensation: a plain float sum over K = 4608 random products drifts ~2e-5 from
   * the exact value (too far for 1e-5 absolute); blocks of 64 keep the drift near 2e-6.
   */
  static final int KB = 64;
  /** Columns per packed panel of B. */
  static final int NR = 2 * L;
  /** Rows of C a block must cover before packing B panels pays (packing reads B once more). */
  private static final int PACK_MIN_ROWS = 12;
  /** K up to which B is not packed and C is walked row-major (see {@link #block}). */
  static final int SMALL_K = 64;

  private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<float[]> TAIL = ThreadLocal.withInitial(() -> new float[MR * NR]);

  private SimdGemm() {}

  /**
   * {@code C[i, j] = clamp(sum_k A[i, k] * B[k, j] + bias[i], lo, hi)} for i in [i0, i1), j in
   * [j0, j1); A row-major with leading dimension {@code lda}, B with {@code ldb}, C with
   * {@code ldc}; {@code bias} may be null. Overwrites C.
   */
  static void block(float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, int i0, int i1, int j0, int j1, int k,
      float[] bias, int biasOff, float lo, float hi) {
    boolean pack = i1 - i0 >= PACK_MIN_ROWS && k > SMALL_K;
    float[] panel = pack ? panel(k * NR) : null;
    int j = j0;
    if (!pack && k <= SMALL_K) {
      // Short K (pointwise convolutions): B is a few rows, cache-resident without packing, and each
      // tile is mostly its write-back, so walk C along its rows: row-major stores stream.
      int jEnd = j0 + (j1 - j0) / NR * NR;
      int i = i0;
      for (; i + MR <= i1; i += MR) {
        for (int jj = j0; jj < jEnd; jj += NR) {
          tile4x2(a, aOff + i * lda, lda, b, bOff + jj, ldb, c, cOff + i * ldc + jj, ldc, k, bias, biasOff + i, lo, hi);
        }
      }
      for (; i < i1; i++) {
        for (int jj = j0; jj < jEnd; jj += NR) {
          tile1x2(a, aOff + i * lda, b, bOff + jj, ldb, c, cOff + i * ldc + jj, k, bias, biasOff + i, lo, hi);
        }
      }
      j = jEnd;
    }
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
    if (j < j1) {
      // The last columns, fewer than a panel: pad them with zeros to a full panel, compute whole
      // tiles into a small buffer and copy out the valid columns. The four independent rows keep
      // the FMA pipes busy, which a narrow or scalar loop over K (a chain of dependent FMAs) does not.
      int w = j1 - j;
      float[] padded = panel(k * NR);
      for (int kk = 0, src = bOff + j, dst = 0; kk < k; kk++, src += ldb, dst += NR) {
        System.arraycopy(b, src, padded, dst, w);
        java.util.Arrays.fill(padded, dst + w, dst + NR, 0f);
      }
      float[] out = TAIL.get();
      int i = i0;
      for (; i + MR <= i1; i += MR) {
        tile4x2(a, aOff + i * lda, lda, padded, 0, NR, out, 0, NR, k, bias, biasOff + i, lo, hi);
        for (int r = 0; r < MR; r++) {
          System.arraycopy(out, r * NR, c, cOff + (i + r) * ldc + j, w);
        }
      }
      for (; i < i1; i++) {
        tile1x2(a, aOff + i * lda, padded, 0, NR, out, 0, k, bias, biasOff + i, lo, hi);
        System.arraycopy(out, 0, c, cOff + i * ldc + j, w);
      }
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

  /**
   * A 4 x 2L tile of C over all of K, in blocks of {@link #KB}: each block's products are summed
   * in plain FMA registers, and the blocks are summed with Kahan compensation. The first block is
   * taken as the running sum as it is (adding it to zero would be exact), so for k <= {@code KB}
   * there is no Kahan step at all: a third fewer vector operations per tile when K is a few dozen.
   */
  private static void tile4x2(float[] a, int a0, int lda, float[] b, int bp, int ldb,
      float[] c, int cp, int ldc, int k, float[] bias, int bi, float lo, float hi) {
    FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00;
    FloatVector s20 = s00, s21 = s00, s30 = s00, s31 = s00;
    FloatVector e00 = s00, e01 = s00, e10 = s00, e11 = s00, e20 = s00, e21 = s00, e30 = s00, e31 = s00;
    int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (int k0 = 0; k0 < k; k0 += KB) {
      int k1 = Math.min(k, k0 + KB);
      FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
      FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (int kk = k0; kk < k1; kk++, bp += ldb) {
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
      if (k0 == 0) {
        s00 = c00; s01 = c01; s10 = c10; s11 = c11; s20 = c20; s21 = c21; s30 = c30; s31 = c31;
        continue;
      }
      // Kahan: s += c, e collects what the rounding of s dropped.
      FloatVector t;
      t = s00.add(c00); e00 = e00.add(s00.sub(t).add(c00)); s00 = t;
      t = s01.add(c01); e01 = e01.add(s01.sub(t).add(c01)); s01 = t;
      t = s10.add(c10); e10 = e10.add(s10.sub(t).add(c10)); s10 = t;
      t = s11.add(c11); e11 = e11.add(s11.sub(t).add(c11)); s11 = t;
      t = s20.add(c20); e20 = e20.add(s20.sub(t).add(c20)); s20 = t;
      t = s21.add(c21); e21 = e21.add(s21.sub(t).add(c21)); s21 = t;
      t = s30.add(c30); e30 = e30.add(s30.sub(t).add(c30)); s30 = t;
      t = s31.add(c31); e31 = e31.add(s31.sub(t).add(c31)); s31 = t;
    }
    if (k > KB) { // with one block e is zero and s alone is the sum, stored as it is
      s00 = s00.add(e00); s01 = s01.add(e01); s10 = s10.add(e10); s11 = s11.add(e11);
      s20 = s20.add(e20); s21 = s21.add(e21); s30 = s30.add(e30); s31 = s31.add(e31);
    }
    store(s00, c, cp, bias, bi, lo, hi);
    store(s01, c, cp + L, bias, bi, lo, hi);
    store(s10, c, cp + ldc, bias, bi + 1, lo, hi);
    store(s11, c, cp + ldc + L, bias, bi + 1, lo, hi);
    store(s20, c, cp + 2 * ldc, bias, bi + 2, lo, hi);
    store(s21, c, cp + 2 * ldc + L, bias, bi + 2, lo, hi);
    store(s30, c, cp + 3 * ldc, bias, bi + 3, lo, hi);
    store(s31, c, cp + 3 * ldc + L, bias, bi + 3, lo, hi);
  }

  private static void tile1x2(float[] a, int a0, float[] b, int bp, int ldb,
      float[] c, int cp, int k, float[] bias, int bi, float lo, float hi) {
    FloatVector s0 = FloatVector.zero(S), s1 = s0, e0 = s0, e1 = s0;
    for (int k0 = 0; k0 < k; k0 += KB) {
      int k1 = Math.min(k, k0 + KB);
      // Four accumulators (even and odd k) so consecutive FMAs do not wait on each other.
      FloatVector c0 = FloatVector.zero(S), c1 = c0, d0 = c0, d1 = c0;
      int kk = k0;
      for (; kk + 1 < k1; kk += 2, bp += 2 * ldb) {
        FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
        c0 = x.fma(FloatVector.fromArray(S, b, bp), c0);
        c1 = x.fma(FloatVector.fromArray(S, b, bp + L), c1);
        FloatVector y = FloatVector.broadcast(S, a[a0 + kk + 1]);
        d0 = y.fma(FloatVector.fromArray(S, b, bp + ldb), d0);
        d1 = y.fma(FloatVector.fromArray(S, b, bp + ldb + L), d1);
      }
      if (kk < k1) {
        FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
        c0 = x.fma(FloatVector.fromArray(S, b, bp), c0);
        c1 = x.fma(FloatVector.fromArray(S, b, bp + L), c1);
        bp += ldb;
      }
      c0 = c0.add(d0);
      c1 = c1.add(d1);
      FloatVector t = s0.add(c0);
      e0 = e0.add(s0.sub(t).add(c0));
      s0 = t;
      t = s1.add(c1);
      e1 = e1.add(s1.sub(t).add(c1));
      s1 = t;
    }
    FloatVector c0 = s0.add(e0), c1 = s1.add(e1), d0 = FloatVector.zero(S), d1 = d0;
    store(c0.add(d0), c, cp, bias, bi, lo, hi);
    store(c1.add(d1), c, cp + L, bias, bi, lo, hi);
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
}
