package dev.braid.device.sim;

/**
 * The calibration side of a {@link GpuProfile}: what spec sheets do not state and the GPU check
 * (issues 4 and 6) measures. Each default is derived from physical reasoning in
 * {@link GpuProfiles}; none is tuned to favour a scheduling policy.
 *
 * @param hostLaunchOverheadNanos host time one API call (kernel launch or async copy) occupies;
 *     calls issue one after another, so this bounds the launch rate
 * @param achievedFlopsFraction share of FP32 peak a saturated SM reaches in Braid's kernels, (0, 1]
 * @param achievedBandwidthFraction share of peak HBM bandwidth a streaming kernel reaches, (0, 1]
 * @param memoryLatencyNanos one DRAM round trip as a load sees it
 * @param bytesInFlightPerThread bytes of loads one thread keeps outstanding (a float4, or four
 *     independent floats); with the latency this caps a block's bandwidth by Little's law
 * @param threadsToSaturateSm resident threads an SM needs to issue FP32 work every cycle; fewer
 *     threads get a proportional share of its peak
 * @param blockFixedNanos cost of a block beyond its roofline time: fetching its first operands
 *     before any arithmetic can start
 * @param hardwareQueues device work queues that streams map onto round-robin (Hyper-Q);
 *     streams sharing a queue falsely serialise behind each other's waiting work
 * @param hostCompletionEventNanos host time of the completion event recorded after every launch
 *     and copy ({@code cuEventRecord} in {@code CudaContext}), on top of the API call itself
 * @param gridLaunchNanos device time the front end (host interface, grid management and work
 *     distributor) spends on one grid before its first block may start: fetching the launch
 *     descriptor and parameters once the grid is at its queue's head and its stream's previous
 *     work completed. One front end serves all queues, one grid at a time, so this also bounds the
 *     device's grid rate; back-to-back kernels of one stream are this far apart
 */
public record TimingParameters(
    long hostLaunchOverheadNanos,
    double achievedFlopsFraction,
    double achievedBandwidthFraction,
    long memoryLatencyNanos,
    int bytesInFlightPerThread,
    int threadsToSaturateSm,
    long blockFixedNanos,
    int hardwareQueues,
    long hostCompletionEventNanos,
    long gridLaunchNanos) {
  public TimingParameters {
    if (hostLaunchOverheadNanos < 0) {
      throw new IllegalArgumentException("hostLaunchOverheadNanos must be >= 0, got " + hostLaunchOverheadNanos);
    }
    fraction("achievedFlopsFraction", achievedFlopsFraction);
    fraction("achievedBandwidthFraction", achievedBandwidthFraction);
    if (memoryLatencyNanos <= 0 || bytesInFlightPerThread <= 0 || threadsToSaturateSm <= 0 || blockFixedNanos < 0
        || hardwareQueues <= 0) {
      throw new IllegalArgumentException("latency, bytes in flight, saturating threads and queues must be > 0 and"
          + " blockFixedNanos >= 0, got " + this);
    }
    if (hostCompletionEventNanos < 0 || gridLaunchNanos < 0) {
      throw new IllegalArgumentException("hostCompletionEventNanos and gridLaunchNanos must be >= 0, got "
          + hostCompletionEventNanos + " and " + gridLaunchNanos);
    }
  }

  private static void fraction(String field, double v) {
    if (!(v > 0 && v <= 1)) {
      throw new IllegalArgumentException(field + " must be in (0, 1], got " + v);
    }
  }

  /**
   * Host time of a launch that takes {@code driverCalls} API calls (its table uploads and kernel
   * calls, see {@code LaunchPacker.driverCalls}) and one completion event.
   */
  public long hostNanosFor(int driverCalls) {
    return driverCalls * hostLaunchOverheadNanos + hostCompletionEventNanos;
  }

  /** Host time of one API call and its completion event: a copy, or a launch that uploads nothing. */
  public long hostNanosPerLaunch() {
    return hostLaunchOverheadNanos + hostCompletionEventNanos;
  }

  /** A copy with another host launch overhead, for calibration and sensitivity studies. */
  public TimingParameters withHostLaunchOverheadNanos(long nanos) {
    return new TimingParameters(nanos, achievedFlopsFraction, achievedBandwidthFraction, memoryLatencyNanos,
        bytesInFlightPerThread, threadsToSaturateSm, blockFixedNanos, hardwareQueues, hostCompletionEventNanos,
        gridLaunchNanos);
  }

  /**
   * A copy without any launch-path cost (host call, completion event, front end), so
   * that a test sees the SMs' physics alone.
   */
  public TimingParameters withoutLaunchCosts() {
    return new TimingParameters(0, achievedFlopsFraction, achievedBandwidthFraction, memoryLatencyNanos,
        bytesInFlightPerThread, threadsToSaturateSm, blockFixedNanos, hardwareQueues, 0, 0);
  }

  /** A copy with another number of hardware queues (CUDA_DEVICE_MAX_CONNECTIONS). */
  public TimingParameters withHardwareQueues(int queues) {
    return new TimingParameters(hostLaunchOverheadNanos, achievedFlopsFraction, achievedBandwidthFraction,
        memoryLatencyNanos, bytesInFlightPerThread, threadsToSaturateSm, blockFixedNanos, queues,
        hostCompletionEventNanos, gridLaunchNanos);
  }

  /** A copy with another front-end time per grid, for sensitivity studies. */
  public TimingParameters withGridLaunchNanos(long nanos) {
    return new TimingParameters(hostLaunchOverheadNanos, achievedFlopsFraction, achievedBandwidthFraction,
        memoryLatencyNanos, bytesInFlightPerThread, threadsToSaturateSm, blockFixedNanos, hardwareQueues,
        hostCompletionEventNanos, nanos);
  }
}
