package dev.braid.device.sim;

/**
 * One entry of a {@link SimulatedDevice}'s event log, recorded when tracing is on. Two runs of the
 * same workload yield equal lists (the determinism invariant).
 *
 * @param timeNanos virtual time of the event
 * @param kind what happened
 * @param itemId the launch or transfer, numbered in submission order from 1; 0 for external events
 * @param stream the stream's id (0 is the default stream); -1 for external events
 * @param detail the kernel, the blocks placed or finished, or the transfer size
 * @param hostNanos for ISSUED, the host time of the API calls that issued the item, ending at
 *     {@code timeNanos}; 0 for the other kinds
 */
public record TraceEvent(long timeNanos, Kind kind, long itemId, int stream, String detail, long hostNanos) {
  /** Phases of a launch or transfer, and external actions. */
  public enum Kind {
    /** The host finished the API call: the work entered its hardware queue. */
    ISSUED,
    /** The kernel became resident (may dispatch blocks) or the transfer started. */
    STARTED,
    /** Blocks were placed on SMs; detail says how many, and when they finish. */
    DISPATCHED,
    /** Blocks of the kernel finished. */
    RETIRED,
    /** The kernel or transfer completed. */
    COMPLETED,
    /** An action scheduled with {@link SimulatedDevice#schedule} ran. */
    EXTERNAL
  }
}
