package dev.braid.device.kernel;

import java.util.Arrays;
import java.util.List;

/**
 * A batch of matrix products {@code Y[b] = alpha * op(A[b]) * op(B[b]) + beta * C}, op being an
 * optional transpose. {@code A[b]} starts at element {@code aOffsets[b]} of argument A and is
 * {@code M x K} (or {@code K x M} with transA) row-major; likewise {@code B[b]} at
 * {@code bOffsets[b]}, {@code K x N} (or {@code N x K}). Offsets express any batching: contiguous
 * (stride M*K), shared weights (all zero), or numpy-broadcast batch dimensions of MatMul. Y is
 * {@code batch x M x N}, contiguous. C broadcasts per {@link GemmBias} and is the same for every
 * batch entry.
 *
 * <p>{@link Precision} says what the multiply sees: float32 operands, or A and B rounded to bf16
 * with float32 accumulation; the arguments are float32 either way.
 *
 * <p>Invariants: dimensions positive; {@code aOffsets.length == bOffsets.length == batch}; offsets
 * non-negative; bias NONE iff {@code beta} is irrelevant; precision non-null. Arguments: A, B, [C], Y.
 */
public record Gemm(
    int batch, int m, int n, int k, boolean transA, boolean transB, float alpha, float beta,
    GemmBias bias, int[] aOffsets, int[] bOffsets, Precision precision) implements Kernel {

  public Gemm {
    Checks.positive("Gemm", "batch", batch);
    Checks.positive("Gemm", "m", m);
    Checks.positive("Gemm", "n", n);
    Checks.positive("Gemm", "k", k);
    Checks.finite("Gemm", "alpha", alpha);
    Checks.finite("Gemm", "beta", beta);
    if (bias == null) {
      throw new IllegalArgumentException("Gemm.bias must not be null; use GemmBias.NONE");
    }
    if (precision == null) {
      throw new IllegalArgumentException("Gemm.precision must not be null; use Precision.FP32");
    }
    aOffsets = aOffsets.clone();
    bOffsets = bOffsets.clone();
    if (aOffsets.length != batch || bOffsets.length != batch) {
      throw new IllegalArgumentException(
          "Gemm needs " + batch + " offsets per operand, got aOffsets " + aOffsets.length
              + " and bOffsets " + bOffsets.length);
    }
    for (int i = 0; i < batch; i++) {
      if (aOffsets[i] < 0 || bOffsets[i] < 0) {
        throw new IllegalArgumentException(
            "Gemm offsets must be >= 0, got aOffsets[" + i + "]=" + aOffsets[i]
                + " bOffsets[" + i + "]=" + bOffsets[i]);
      }
    }
  }

  /** A float32 ({@link Precision#FP32}) batch of products. */
  public Gemm(int batch, int m, int n, int k, boolean transA, boolean transB, float alpha, float beta,
      GemmBias bias, int[] aOffsets, int[] bOffsets) {
    this(batch, m, n, k, transA, transB, alpha, beta, bias, aOffsets, bOffsets, Precision.FP32);
  }

  /** This product in {@code p}, everything else equal. */
  public Gemm withPrecision(Precision p) {
    return new Gemm(batch, m, n, k, transA, transB, alpha, beta, bias, aOffsets, bOffsets, p);
  }

  /** One product without batching. */
  public static Gemm of(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta, GemmBias bias) {
    return new Gemm(1, m, n, k, transA, transB, alpha, beta, bias, new int[1], new int[1]);
  }

  /** A plain product {@code Y = A * B}. */
  public static Gemm of(int m, int n, int k) {
    return of(m, n, k, false, false, 1f, 0f, GemmBias.NONE);
  }

  /**
   * A batched product with fixed strides in elements between batch entries; a stride of 0 shares
   * that operand across the batch.
   */
  public static Gemm strided(int batch, int m, int n, int k, int aStrideElements, int bStrideElements) {
    int[] a = new int[batch];
    int[] b = new int[batch];
    for (int i = 0; i < batch; i++) {
      a[i] = Math.multiplyExact(i, aStrideElements);
      b[i] = Math.multiplyExact(i, bStrideElements);
    }
    return new Gemm(batch, m, n, k, false, false, 1f, 0f, GemmBias.NONE, a, b);
  }

  @Override
  public int[] aOffsets() {
    return aOffsets.clone();
  }

  @Override
  public int[] bOffsets() {
    return bOffsets.clone();
  }

  /** Offset of A for batch entry {@code b}, without copying the array. */
  public int aOffset(int b) {
    return aOffsets[b];
  }

  public int bOffset(int b) {
    return bOffsets[b];
  }

  @Override
  public List<String> argNames() {
    return bias == GemmBias.NONE ? List.of("A", "B", "Y") : List.of("A", "B", "C", "Y");
  }

  @Override
  public long argBytes(int index) {
    String name = argNames().get(index);
    return switch (name) {
      case "A" -> Checks.bytes(max(aOffsets) + (long) m * k);
      case "B" -> Checks.bytes(max(bOffsets) + (long) k * n);
      case "C" -> Checks.bytes(bias.elements(m, n));
      default -> Checks.bytes((long) batch * m * n);
    };
  }

  @Override
  public long flops() {
    return 2L * batch * m * n * k + (bias == GemmBias.NONE ? 0 : (long) batch * m * n);
  }

  private static long max(int[] values) {
    long mx = 0;
    for (int v : values) {
      mx = Math.max(mx, v);
    }
    return mx;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Gemm g && batch == g.batch && m == g.m && n == g.n && k == g.k
        && transA == g.transA && transB == g.transB
        && Float.compare(alpha, g.alpha) == 0 && Float.compare(beta, g.beta) == 0
        && bias == g.bias && Arrays.equals(aOffsets, g.aOffsets) && Arrays.equals(bOffsets, g.bOffsets)
        && precision == g.precision;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(new int[] {batch, m, n, k, transA ? 1 : 0, transB ? 1 : 0,
        Float.floatToIntBits(alpha), Float.floatToIntBits(beta), bias.ordinal(),
        Arrays.hashCode(aOffsets), Arrays.hashCode(bOffsets), precision.ordinal()});
  }

  @Override
  public String toString() {
    return "Gemm[batch=" + batch + " M=" + m + " N=" + n + " K=" + k + " transA=" + transA
        + " transB=" + transB + " alpha=" + alpha + " beta=" + beta + " bias=" + bias
        + (precision == Precision.FP32 ? "" : " precision=" + precision) + "]";
  }
}
