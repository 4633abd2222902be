package dev.braid.gpu;

/**
 * What the GPU actor counts of the requests it answered, and the device's utilisation between two
 * reports. Not thread-safe: one actor owns it.
 *
 * <p>Invariants: {@code metDeadline <= completed}; {@link #sloAttainment()} and {@link
 * #utilisation} are in [0, 1].
 */
final class ServingCounters {
  private long completed;
  private long failed;
  private long metDeadline;
  private long lastBusyNanos;
  private long lastNowNanos;

  /**
   * @param startNanos when the device started, on the clock {@link #utilisation} is given; the
   *     first report's window begins here
   */
  public ServingCounters(long startNanos) {
    this.lastNowNanos = startNanos;
  }

  /** A request answered with outputs; {@code inTime} when that was by its deadline. */
  public void onCompleted(boolean inTime) {
    completed++;
    if (inTime) {
      metDeadline++;
    }
  }

  /** A request answered with an error, of any reason. */
  public void onFailed() {
    failed++;
  }

  public long completed() {
    return completed;
  }

  public long failed() {
    return failed;
  }

  /** Share of the requests answered that completed by their deadline; 1 when none was answered. */
  public double sloAttainment() {
    long answered = completed + failed;
    return answered == 0 ? 1.0 : (double) metDeadline / answered;
  }

  /**
   * Share of the time since the previous call (or the start) during which the device was busy,
   * clamped to [0, 1]; 0 when no time passed. Starts the next window.
   *
   * @param busyNanos the device's cumulative busy time now
   * @param nowNanos now, on the clock of {@code startNanos}
   */
  public double utilisation(long busyNanos, long nowNanos) {
    long wall = nowNanos - lastNowNanos;
    long busy = busyNanos - lastBusyNanos;
    lastBusyNanos = busyNanos;
    lastNowNanos = nowNanos;
    if (wall <= 0) {
      return 0;
    }
    return Math.max(0, Math.min(1, (double) busy / wall));
  }
}
