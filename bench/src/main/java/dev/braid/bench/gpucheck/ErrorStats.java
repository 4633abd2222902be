package dev.braid.bench.gpucheck;

/**
 * How far a device's output is from the CPU reference: the largest absolute difference, and that
 * difference relative to the reference's largest magnitude (so a GEMM whose outputs cancel to
 * near zero is not judged by a meaningless per-element ratio). NaN or infinity on either side, or
 * a length mismatch, makes the error infinite so that it cannot pass.
 *
 * @param maxAbs largest |device - reference| over all elements
 * @param maxRel {@code maxAbs / max(|reference|)}, or {@code maxAbs} when the reference is all zero
 * @param elements how many elements were compared
 */
record ErrorStats(double maxAbs, double maxRel, long elements) {
  static final ErrorStats ZERO = new ErrorStats(0, 0, 0);

  static ErrorStats of(float[] device, float[] reference) {
    if (device.length != reference.length) {
      return new ErrorStats(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, reference.length);
    }
    double maxAbs = 0;
    double refMax = 0;
    for (int i = 0; i < reference.length; i++) {
      double r = reference[i];
      double d = device[i];
      if (!Double.isFinite(r) || !Double.isFinite(d)) {
        if (Double.compare(r, d) != 0) { // the same infinity on both sides agrees
          maxAbs = Double.POSITIVE_INFINITY;
        }
        continue;
      }
      maxAbs = Math.max(maxAbs, Math.abs(d - r));
      refMax = Math.max(refMax, Math.abs(r));
    }
    return new ErrorStats(maxAbs, refMax > 0 ? maxAbs / refMax : maxAbs, reference.length);
  }

  /** The worse of the two, element counts added: for a kernel with several outputs or problems. */
  ErrorStats merge(ErrorStats o) {
    return new ErrorStats(Math.max(maxAbs, o.maxAbs), Math.max(maxRel, o.maxRel), elements + o.elements);
  }

  boolean within(double tolerance) {
    return maxRel <= tolerance;
  }
}
