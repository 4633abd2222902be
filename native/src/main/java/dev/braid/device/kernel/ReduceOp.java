package dev.braid.device.kernel;

/**
 * What a {@link Reduce} computes over each group of reduced elements: the ONNX ReduceX family and
 * ArgMax/ArgMin (first or last index of the extreme value), whose result is an index carried as a
 * float32 integer.
 */
public enum ReduceOp {
  SUM, MEAN, MAX, MIN, PROD, L1, L2, LOG_SUM, LOG_SUM_EXP, SUM_SQUARE,
  ARG_MAX, ARG_MIN, ARG_MAX_LAST, ARG_MIN_LAST;

  /** Whether the result is an index along the (single) reduced axis. */
  public boolean isArg() {
    return ordinal() >= ARG_MAX.ordinal();
  }

  /** Floating-point operations per reduced element, for the cost model. */
  int flopsPerElement() {
    return switch (this) {
      case SUM, MEAN, MAX, MIN, PROD, L1, LOG_SUM, ARG_MAX, ARG_MIN, ARG_MAX_LAST, ARG_MIN_LAST -> 1;
      case L2, SUM_SQUARE -> 2;
      case LOG_SUM_EXP -> 4;
    };
  }
}
