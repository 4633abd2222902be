package dev.braid.device.sim;

/**
 * What a {@link SimulatedDevice} has done since it opened, in virtual time.
 *
 * @param totalNanos virtual time elapsed since the device opened
 * @param busySmNanos sum over SMs of the time each held at least one resident block
 * @param smCount SMs on the device
 * @param launches kernel launches (a grouped launch counts once) that have completed
 * @param blocks thread blocks that have completed
 * @param transfers uploads and downloads that have completed
 * @param hostBusyNanos host time spent in API calls (kernel launches, table uploads and async
 *     copies) and their completion events, as the timing model charges each submission: the host
 *     launch path is busy this long, so over an interval it is that path's busy share
 */
public record SimStats(long totalNanos, long busySmNanos, int smCount, long launches, long blocks, long transfers,
    long hostBusyNanos) {
  /** Busy SM-time over total SM-time, in [0, 1]; 0 before any time has passed. */
  public double smUtilization() {
    return totalNanos == 0 ? 0 : (double) busySmNanos / ((double) totalNanos * smCount);
  }
}
