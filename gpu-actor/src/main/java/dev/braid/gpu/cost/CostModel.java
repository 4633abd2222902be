package dev.braid.gpu.cost;

import dev.braid.device.GpuSpec;
import dev.braid.device.plan.KernelOp;
import dev.braid.device.plan.KernelPlan;
import java.time.Duration;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Per-op latency of each model at each batch size, keyed by (model, batch size, op index), and
 * the predictions the scheduler and admission control make from it. Not thread-safe: one actor
 * owns it.
 *
 * <p>Lifecycle of an entry: unmeasured (priced by the roofline below) -> measured (first {@link
 * #record}) -> smoothed (every later {@link #record} moves it a quarter of the way to the new
 * sample). A recorded duration is launch to completion, so it includes the launch overhead.
 *
 * <p><b>Roofline for unmeasured ops.</b> On a GPU, blocks spread evenly over the SMs and each SM
 * runs its blocks at {@code 1/smCount} of the chip's peak FLOP rate and memory bandwidth, so the
 * busiest SM decides: {@code overhead + ceil(blocks / smCount) * smCount * max(flopsPerBlock /
 * peakFlops, bytesPerBlock / bandwidth)}. The {@code ceil} is wave quantization: a grid of
 * {@code smCount + 1} blocks costs two block rounds. Splitting bandwidth evenly per SM is
 * conservative (one SM can draw more than its share). On the CPU (no {@link GpuSpec}), a
 * conservative single-core rate: {@link #CPU_FLOPS_PER_SECOND} and {@link
 * #CPU_BYTES_PER_SECOND}.
 *
 * <p><b>Super-kernels.</b> {@link #predictGroupNanos} charges the launch overhead once plus the
 * larger of (a) the longest member's body (a member's own duration less the overhead) and (b) the
 * sum of the members' occupied device time, where a member's occupied device time is its body
 * times the fraction of block slots its grid fills ({@code blocks / (ceil(blocks / smCount) *
 * smCount)}). Small grids therefore group almost for free until together they fill the GPU. On
 * the CPU, members run one after another: overhead once plus the sum of bodies.
 *
 * <p><b>Cached per plan.</b> The scheduler asks for the remaining time of every job on every
 * event; each plan's op times and their suffix sums are therefore kept per plan object (compared
 * by identity) under its (model, batch size), and all of a (model, batch size)'s are dropped when
 * one of its ops is recorded. The engine has one plan object per model and batch size; a caller
 * that has several (the scheduler benchmark's plan suffixes) gets one entry each instead of
 * recomputing every roofline whenever it alternates between them.
 */
public final class CostModel {
  /**
   * Host-side launch latency of one kernel: CUDA's documented launch overhead is a few
   * microseconds on recent drivers; 5 us errs on the slow side.
   */
  public static final Duration DEFAULT_LAUNCH_OVERHEAD = Duration.ofNanos(5_000);

  /** One core issuing one FMA (2 FLOPs) per cycle at 1 GHz: a floor no CPU falls under. */
  public static final double CPU_FLOPS_PER_SECOND = 2e9;

  /** A single core streaming from DRAM, taken low (5 GB/s) to stay conservative. */
  public static final double CPU_BYTES_PER_SECOND = 5e9;

  /** Weight of the newest sample in the smoothed latency: follows drift within a few launches. */
  static final double SMOOTHING_WEIGHT = 0.25;

  /**
   * Plans whose suffix sums are kept per (model, batch size): a batching model has one plan per
   * batch size; a model specialized per request (batch 1) one per shape key, which come and go.
   */
  static final int MAX_PLANS_PER_KEY = 64;

  private final Optional<GpuSpec> gpu;
  private final long launchOverheadNanos;
  private final Map<Key, Double> measuredNanos = new HashMap<>();
  private final Map<PlanKey, Map<KernelPlan, long[]>> planTimes = new HashMap<>();
  /** The plan last asked about and its suffix sums: a policy asks about one op several times in a row. */
  private KernelPlan lastPlan;
  private long[] lastSuffixNanos;

  /**
   * @param gpu the device's limits, or empty for the CPU
   * @param launchOverhead what each launch costs beyond its body; zero or positive
   */
  public CostModel(Optional<GpuSpec> gpu, Duration launchOverhead) {
    this.gpu = Objects.requireNonNull(gpu, "gpu");
    if (launchOverhead.isNegative()) {
      throw new IllegalArgumentException("launchOverhead must be >= 0, got " + launchOverhead);
    }
    this.launchOverheadNanos = launchOverhead.toNanos();
  }

  public static CostModel forGpu(GpuSpec gpu) {
    return new CostModel(Optional.of(gpu), DEFAULT_LAUNCH_OVERHEAD);
  }

  public static CostModel forCpu() {
    return new CostModel(Optional.empty(), DEFAULT_LAUNCH_OVERHEAD);
  }

  public Optional<GpuSpec> gpu() {
    return gpu;
  }

  public long launchOverheadNanos() {
    return launchOverheadNanos;
  }

  /**
   * The host launch path's time for one launch of {@code ops} kernels (an estimate): one launch
   * overhead per driver call, one call for a single kernel and two for a super-kernel (the upload
   * of its problem table, then the call), as the CUDA device issues them.
   */
  public long hostNanos(int ops) {
    if (ops < 1) {
      throw new IllegalArgumentException("a launch has at least one op, got " + ops);
    }
    return ops == 1 ? launchOverheadNanos : 2 * launchOverheadNanos;
  }

  /** Records one measured launch-to-completion duration of op {@code opIndex} of {@code model}. */
  public void record(String model, int batchSize, int opIndex, long nanos) {
    Objects.requireNonNull(model, "model");
    if (batchSize < 1 || opIndex < 0 || nanos < 0) {
      throw new IllegalArgumentException("record needs batchSize >= 1, opIndex >= 0 and nanos >= 0, got "
          + batchSize + ", " + opIndex + ", " + nanos + " for model '" + model + "'");
    }
    measuredNanos.merge(new Key(model, batchSize, opIndex), (double) nanos,
        (old, sample) -> old + SMOOTHING_WEIGHT * (sample - old));
    planTimes.remove(new PlanKey(model, batchSize));
    lastPlan = null;
    lastSuffixNanos = null;
  }

  /** The smoothed measurement, if the op was ever measured. */
  public OptionalLong measuredNanos(String model, int batchSize, int opIndex) {
    Double m = measuredNanos.get(new Key(model, batchSize, opIndex));
    return m == null ? OptionalLong.empty() : OptionalLong.of(Math.round(m));
  }

  /** Predicted launch-to-completion time of one op run alone: measured, else the roofline. */
  public long predictOpNanos(KernelPlan plan, int opIndex) {
    Objects.checkIndex(opIndex, plan.size());
    long[] suffix = times(plan);
    return suffix[opIndex] - suffix[opIndex + 1];
  }

  /** Predicted time of ops {@code fromOpIndex} to the end of {@code plan}, run alone back to back. */
  /** How many plans of {@code model} at {@code batchSize} have their sums kept (for tests). */
  int plansKept(String model, int batchSize) {
    Map<KernelPlan, long[]> ofKey = planTimes.get(new PlanKey(model, batchSize));
    return ofKey == null ? 0 : ofKey.size();
  }

  public long predictRemainingNanos(KernelPlan plan, int fromOpIndex) {
    if (fromOpIndex >= plan.size()) {
      return 0;
    }
    return times(plan)[Math.max(0, fromOpIndex)];
  }

  /** Suffix sums of the plan's op times: entry {@code i} is ops {@code i} to the end, the last 0. */
  private long[] times(KernelPlan plan) {
    if (plan == lastPlan) {
      return lastSuffixNanos;
    }
    long[] suffix = suffixTimes(plan);
    lastPlan = plan;
    lastSuffixNanos = suffix;
    return suffix;
  }

  private long[] suffixTimes(KernelPlan plan) {
    Map<KernelPlan, long[]> ofKey = planTimes.computeIfAbsent(new PlanKey(plan.model(), plan.batchSize()),
        k -> new IdentityHashMap<>());
    long[] cached = ofKey.get(plan);
    if (cached != null) {
      return cached;
    }
    if (ofKey.size() >= MAX_PLANS_PER_KEY) {
      // A model specialized per request compiles a new plan per key and drops evicted ones; the
      // sums are cheap to recompute, so forgetting them all bounds this cache without tracking
      // evictions.
      ofKey.clear();
    }
    long[] suffix = new long[plan.size() + 1];
    for (int i = plan.size() - 1; i >= 0; i--) {
      Double m = measuredNanos.get(new Key(plan.model(), plan.batchSize(), i));
      suffix[i] = suffix[i + 1] + (m != null ? Math.round(m) : rooflineNanos(plan.op(i)));
    }
    ofKey.put(plan, suffix);
    return suffix;
  }

  /** Predicted duration of one super-kernel running {@code members} (see the class comment). */
  public long predictGroupNanos(List<PlanOp> members) {
    if (members.isEmpty()) {
      throw new IllegalArgumentException("a group needs at least one member");
    }
    GroupEstimate g = group();
    for (PlanOp m : members) {
      g.add(m);
    }
    return g.nanos();
  }

  /** An empty {@link GroupEstimate}, to price a super-kernel as it grows one member at a time. */
  public GroupEstimate group() {
    return new GroupEstimate();
  }

  /**
   * {@link #predictGroupNanos} kept up to date as members are added, in O(1) per member: what a
   * policy needs when it tries one candidate after another. Not shared across threads.
   */
  public final class GroupEstimate {
    private long longestBody;
    private double occupied;
    private int size;

    private GroupEstimate() {}

    public void add(PlanOp m) {
      long body = body(m);
      longestBody = Math.max(longestBody, body);
      occupied += occupied(m, body);
      size++;
    }

    /** What {@link #nanos()} would be after adding {@code m}; adds nothing. */
    public long nanosWith(PlanOp m) {
      long body = body(m);
      return launchOverheadNanos + Math.max(Math.max(longestBody, body), Math.round(occupied + occupied(m, body)));
    }

    private long body(PlanOp m) {
      return Math.max(0, predictOpNanos(m.plan(), m.opIndex()) - launchOverheadNanos);
    }

    private double occupied(PlanOp m, long body) {
      return gpu.isPresent() ? body * slotFill(m.op()) : body;
    }

    public int size() {
      return size;
    }

    /** The predicted duration of one launch of the members added so far; needs at least one. */
    public long nanos() {
      if (size == 0) {
        throw new IllegalStateException("a group needs at least one member");
      }
      return launchOverheadNanos + Math.max(longestBody, Math.round(occupied));
    }
  }

  /**
   * When a request at op {@code nextOpIndex} of {@code plan} would finish if it started after
   * {@code workAheadNanos} of device work queued before it: {@code now + workAhead + remaining}.
   */
  public long predictFinishNanos(long nowNanos, KernelPlan plan, int nextOpIndex, long workAheadNanos) {
    return nowNanos + Math.max(0, workAheadNanos) + predictRemainingNanos(plan, nextOpIndex);
  }

  /**
   * How many waves of the GPU the op's grid fills, fractionally: {@code blocks / (resident blocks
   * per SM * smCount)}. Zero on the CPU. A grid whose block fits no SM counts as one full wave.
   */
  public double waves(KernelOp op) {
    if (gpu.isEmpty()) {
      return 0;
    }
    GpuSpec g = gpu.get();
    int resident = op.geometry().residentBlocksPerSm(g);
    return resident == 0 ? 1.0 : op.geometry().blocks() / ((double) resident * g.smCount());
  }

  /** Fraction of the SMs' block rounds the op's grid keeps busy, in (0, 1]. */
  private double slotFill(KernelOp op) {
    int sms = gpu.orElseThrow().smCount();
    int blocks = op.geometry().blocks();
    long rounds = (blocks + sms - 1) / sms;
    return blocks / ((double) rounds * sms);
  }

  private long rooflineNanos(KernelOp op) {
    double seconds;
    if (gpu.isPresent()) {
      GpuSpec g = gpu.get();
      int blocks = op.geometry().blocks();
      long rounds = (blocks + g.smCount() - 1) / g.smCount();
      double perBlock = Math.max(op.flops() / g.peakFp32FlopsPerSecond(),
          (op.bytesRead() + op.bytesWritten()) / g.memoryBandwidthBytesPerSecond()) / blocks;
      seconds = rounds * g.smCount() * perBlock;
    } else {
      seconds = Math.max(op.flops() / CPU_FLOPS_PER_SECOND,
          (op.bytesRead() + op.bytesWritten()) / CPU_BYTES_PER_SECOND);
    }
    return launchOverheadNanos + (long) Math.ceil(seconds * 1e9);
  }

  private record Key(String model, int batchSize, int opIndex) {}

  private record PlanKey(String model, int batchSize) {}
}
