package dev.braid.gpu.sched;

import dev.braid.device.GpuSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The device state a {@link SpaceTimeScheduler} plans against, and the knobs of its policies.
 *
 * @param streamPriorities one entry per stream the scheduler may use, its CUDA priority (lower is
 *     more urgent); stream {@code i} of a {@link PlannedLaunch} is entry {@code i}
 * @param maxOpsPerSuperKernel the most ops one super-kernel groups; 1 turns fusion off
 * @param gpu the device's limits, or empty on the CPU (no wave-based sizing then)
 * @param maxLaunchesInFlightPerStream launches queued or running per stream at once; 1 keeps every
 *     decision late-bound (made when the stream frees, with the freshest ready set)
 * @param superKernelWaves space-time stops growing a super-kernel once its grids together fill the
 *     GPU for this many waves (fractional waves, see {@code CostModel.waves})
 * @param agingThreshold a job admitted at least this long ago is ordered before every younger job
 *     (oldest first), which bounds its wait under any load of more urgent work
 * @param maxHold the longest a ready op may be held back for fusion partners, counted from the
 *     moment it became ready (see {@link SpaceTimePolicy}); zero turns holding off
 * @param lessUrgentLaunches launches space-time keeps in flight for jobs of a less urgent priority
 *     level while a job of a more urgent level is in the scheduler (jobs past the aging threshold
 *     excepted); 0 makes priority strict, a value at least the stream count imposes no limit
 * @param launchPathBacklog the most host launch-path time space-time keeps queued ahead of now
 *     (launches decided but, by the scheduler's estimate, not yet issued by the host); past it the
 *     ready groups wait, gathering partners, and the policy plans again when the path drains to
 *     it; zero imposes no limit (see {@link SpaceTimeScheduler#launchPathBacklogNanos})
 */
public record SchedulerConfig(
    List<Integer> streamPriorities,
    int maxOpsPerSuperKernel,
    Optional<GpuSpec> gpu,
    int maxLaunchesInFlightPerStream,
    double superKernelWaves,
    Duration agingThreshold,
    Duration maxHold,
    int lessUrgentLaunches,
    Duration launchPathBacklog) {

  /**
   * One urgent stream (CUDA priority -1) for the most urgent work and seven normal ones (0). A job
   * has one op in flight at a time and a stream runs its launches in order, so the launches in
   * flight are at most the stream count; the host path issues one launch at a time (3.8 us each
   * on the simulated H100, a few us on real drivers) while a batch-1 kernel runs 5 to 25 us, so
   * about (kernel + launch) / launch = 3 to 8 launches in flight keep the host issuing without a
   * pause. With three streams space-time left the host path a fifth idle under overload and issued
   * fewer kernels per second than space-only's one stream per model; eight match space-only at
   * the benchmark's eight models and cost nothing when fewer are needed.
   */
  public static final List<Integer> DEFAULT_STREAM_PRIORITIES = List.of(-1, 0, 0, 0, 0, 0, 0, 0);

  /** The paper grouped up to 120 SGEMMs and still gained; 64 keeps one launch's argument list small. */
  public static final int DEFAULT_MAX_OPS_PER_SUPER_KERNEL = 64;

  /** Two waves: the second hides the tail of the first; more only lengthens the launch. */
  public static final double DEFAULT_SUPER_KERNEL_WAVES = 2.0;

  /** Twice a typical 100 ms latency objective: no job should wait longer than that to be served. */
  public static final Duration DEFAULT_AGING_THRESHOLD = Duration.ofMillis(200);

  /**
   * Off by default. Measured on the simulated H100 with the benchmark's eight models at its
   * default load: holding up to 50 us fused 16x more often (34430 super-kernels against 1301,
   * 10% fewer launches per request) but raised space-time's p99 from 1.38 to 2.49 ms and made 8 of
   * 10594 jobs miss their deadline that met it without holding, because a held job then also waits
   * for a stream. Turn it on (50us is the value measured) where launches are the bottleneck.
   */
  public static final Duration DEFAULT_MAX_HOLD = Duration.ZERO;

  /**
   * Strict: no kernel has preemption, so a best-effort kernel running beside a latency-critical
   * one holds SMs the critical kernel's blocks wait for. Measured on the simulated H100 with
   * eight models at space-time's goodput (3490.7 requests/s) and bert#2 critical ({@code bench
   * policies --critical bert}, seed 1): the critical model's p99 against its p99 alone on the same
   * arrivals was +55.8% with no limit (8), +42.0% at 1 and +1.7% at 0, while the best-effort
   * requests within SLO fell from 88.1% to 81.7% of the offered load.
   */
  public static final int DEFAULT_LESS_URGENT_LAUNCHES = 0;

  /**
   * 1 ns: launch only while the host's launch path is expected idle. The host path, not the SMs,
   * fills first at batch 1 (at space-time's goodput point the SMs are 15-20% busy, the path
   * 80-90%), so a group launched while the path is booked only queues on the host, bound to its
   * stream and its members before the kernels that become ready meanwhile could join it; held in
   * the ready set instead, they fuse. Measured on the simulated H100 with eight models ({@code
   * bench policies --goodput --seed 1}): space-time's goodput rose from 3490.7 to 4526.9
   * requests/s (1.09x to 1.41x space-only's), 32.4% of its kernels ran fused against 0.7%, and
   * the critical model's p99 inflation was +2.6% (+1.7% without); at 5 us the x2.83 probe met
   * 93.75% of SLOs against 98.38%. The engine's, the scheduler's and the benchmarks' tests pass
   * with it on. 0 imposes no limit.
   */
  public static final Duration DEFAULT_LAUNCH_PATH_BACKLOG = Duration.ofNanos(1);

  public SchedulerConfig {
    streamPriorities = List.copyOf(streamPriorities);
    Objects.requireNonNull(gpu, "gpu");
    Objects.requireNonNull(agingThreshold, "agingThreshold");
    if (streamPriorities.isEmpty()) {
      throw new IllegalArgumentException("streamPriorities must name at least one stream, got []");
    }
    if (maxOpsPerSuperKernel < 1) {
      throw new IllegalArgumentException("maxOpsPerSuperKernel must be >= 1, got " + maxOpsPerSuperKernel);
    }
    if (maxLaunchesInFlightPerStream < 1) {
      throw new IllegalArgumentException(
          "maxLaunchesInFlightPerStream must be >= 1, got " + maxLaunchesInFlightPerStream);
    }
    if (!(superKernelWaves > 0) || Double.isInfinite(superKernelWaves)) {
      throw new IllegalArgumentException("superKernelWaves must be a positive number, got " + superKernelWaves);
    }
    if (agingThreshold.isNegative()) {
      throw new IllegalArgumentException("agingThreshold must be >= 0, got " + agingThreshold);
    }
    Objects.requireNonNull(maxHold, "maxHold");
    if (maxHold.isNegative()) {
      throw new IllegalArgumentException("maxHold must be >= 0, got " + maxHold);
    }
    if (lessUrgentLaunches < 0) {
      throw new IllegalArgumentException("lessUrgentLaunches must be >= 0, got " + lessUrgentLaunches);
    }
    Objects.requireNonNull(launchPathBacklog, "launchPathBacklog");
    if (launchPathBacklog.isNegative()) {
      throw new IllegalArgumentException("launchPathBacklog must be >= 0, got " + launchPathBacklog);
    }
  }

  /** The configuration with {@code launchPathBacklog} at its default. */
  public SchedulerConfig(List<Integer> streamPriorities, int maxOpsPerSuperKernel, Optional<GpuSpec> gpu,
      int maxLaunchesInFlightPerStream, double superKernelWaves, Duration agingThreshold, Duration maxHold,
      int lessUrgentLaunches) {
    this(streamPriorities, maxOpsPerSuperKernel, gpu, maxLaunchesInFlightPerStream, superKernelWaves, agingThreshold,
        maxHold, lessUrgentLaunches, DEFAULT_LAUNCH_PATH_BACKLOG);
  }

  /** The configuration with {@code lessUrgentLaunches} at its default. */
  public SchedulerConfig(List<Integer> streamPriorities, int maxOpsPerSuperKernel, Optional<GpuSpec> gpu,
      int maxLaunchesInFlightPerStream, double superKernelWaves, Duration agingThreshold, Duration maxHold) {
    this(streamPriorities, maxOpsPerSuperKernel, gpu, maxLaunchesInFlightPerStream, superKernelWaves, agingThreshold,
        maxHold, DEFAULT_LESS_URGENT_LAUNCHES);
  }

  /** The configuration without holding for fusion partners ({@code maxHold} zero). */
  public SchedulerConfig(List<Integer> streamPriorities, int maxOpsPerSuperKernel, Optional<GpuSpec> gpu,
      int maxLaunchesInFlightPerStream, double superKernelWaves, Duration agingThreshold) {
    this(streamPriorities, maxOpsPerSuperKernel, gpu, maxLaunchesInFlightPerStream, superKernelWaves, agingThreshold,
        Duration.ZERO);
  }

  /** The defaults above for a device with the given limits (empty for the CPU). */
  public static SchedulerConfig defaults(Optional<GpuSpec> gpu) {
    return new SchedulerConfig(DEFAULT_STREAM_PRIORITIES, DEFAULT_MAX_OPS_PER_SUPER_KERNEL, gpu, 1,
        DEFAULT_SUPER_KERNEL_WAVES, DEFAULT_AGING_THRESHOLD, DEFAULT_MAX_HOLD, DEFAULT_LESS_URGENT_LAUNCHES,
        DEFAULT_LAUNCH_PATH_BACKLOG);
  }

  /** A copy with another {@code maxHold}. */
  public SchedulerConfig withMaxHold(Duration hold) {
    return new SchedulerConfig(streamPriorities, maxOpsPerSuperKernel, gpu, maxLaunchesInFlightPerStream,
        superKernelWaves, agingThreshold, hold, lessUrgentLaunches, launchPathBacklog);
  }

  /** A copy with another {@code lessUrgentLaunches}. */
  public SchedulerConfig withLessUrgentLaunches(int launches) {
    return new SchedulerConfig(streamPriorities, maxOpsPerSuperKernel, gpu, maxLaunchesInFlightPerStream,
        superKernelWaves, agingThreshold, maxHold, launches, launchPathBacklog);
  }

  /** A copy with another {@code launchPathBacklog}. */
  public SchedulerConfig withLaunchPathBacklog(Duration backlog) {
    return new SchedulerConfig(streamPriorities, maxOpsPerSuperKernel, gpu, maxLaunchesInFlightPerStream,
        superKernelWaves, agingThreshold, maxHold, lessUrgentLaunches, backlog);
  }

  /** True when the space-time policy may hold ready ops back for fusion partners. */
  public boolean holds() {
    return !maxHold.isZero() && maxOpsPerSuperKernel > 1;
  }

  public int streamCount() {
    return streamPriorities.size();
  }

  /** Stream indices, most urgent priority first, ties by index. */
  public List<Integer> streamsByPriority() {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < streamPriorities.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingInt((Integer i) -> streamPriorities.get(i)).thenComparingInt(i -> i));
    return List.copyOf(order);
  }
}
