package dev.braid.device.kernel;

/**
 * What an {@link AlongAxis} kernel computes on each fibre: log-softmax, hardmax (1 at the first
 * maximum, 0 elsewhere), or a cumulative sum, inclusive or exclusive, forwards or reversed.
 */
public enum AxisOp {
  LOG_SOFTMAX, HARDMAX, CUMSUM, CUMSUM_EXCLUSIVE, CUMSUM_REVERSE, CUMSUM_EXCLUSIVE_REVERSE;

  public boolean isCumSum() {
    return ordinal() >= CUMSUM.ordinal();
  }

  /** The cumulative sum with these flags. */
  public static AxisOp cumSum(boolean exclusive, boolean reverse) {
    return exclusive ? (reverse ? CUMSUM_EXCLUSIVE_REVERSE : CUMSUM_EXCLUSIVE) : (reverse ? CUMSUM_REVERSE : CUMSUM);
  }

  public boolean exclusive() {
    return this == CUMSUM_EXCLUSIVE || this == CUMSUM_EXCLUSIVE_REVERSE;
  }

  public boolean reverse() {
    return this == CUMSUM_REVERSE || this == CUMSUM_EXCLUSIVE_REVERSE;
  }
}
