package dev.braid.gpu;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import dev.braid.device.GpuSpec;
import dev.braid.gpu.sched.SchedulerConfig;
import dev.braid.gpu.sched.SchedulingPolicies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings of the GPU actor, from the {@code braid.gpu} block (defaults and a comment per key in
 * this module's {@code reference.conf}). Every check names the key and the bad value.
 *
 * @param policy the scheduling policy at start, one of {@link SchedulingPolicies#NAMES}
 * @param streamPriorities the CUDA priority of each stream the scheduler uses; at least one
 * @param maxOpsPerSuperKernel the most ops one super-kernel groups, >= 1
 * @param superKernelWaves waves of the GPU at which space-time stops growing a super-kernel, > 0
 * @param maxLaunchesInFlightPerStream launches queued or running per stream, >= 1
 * @param agingThreshold the wait after which a job goes before younger ones, >= 0
 * @param profilingRuns timed runs of each op at load on devices without a timing model, >= 0
 * @param maxBatchesInFlightPerModel batches of one batching model started and not yet answered past
 *     which only full batches leave its queue, >= 1
 * @param endpointReplyGrace how long past an Infer's budget the GPU actor waits for its engine's
 *     answer before answering the request itself, >= 0
 * @param maxHold the longest space-time holds a ready kernel back for fusion partners, >= 0 (0
 *     turns holding off)
 * @param lessUrgentLaunches launches space-time keeps in flight for a less urgent priority level
 *     while a job of a more urgent level is waiting or running, >= 0 (0: strict priority)
 * @param launchPathBacklog the most host launch-path time space-time keeps queued ahead, >= 0 (0:
 *     no limit); see {@link SchedulerConfig#launchPathBacklog()}
 */
public record GpuSettings(
    String policy,
    List<Integer> streamPriorities,
    int maxOpsPerSuperKernel,
    double superKernelWaves,
    int maxLaunchesInFlightPerStream,
    Duration agingThreshold,
    int profilingRuns,
    int maxBatchesInFlightPerModel,
    Duration endpointReplyGrace,
    Duration maxHold,
    int lessUrgentLaunches,
    Duration launchPathBacklog) {

  /** The HOCON path of this block. */
  public static final String PATH = "braid.gpu";

  public GpuSettings {
    Objects.requireNonNull(policy, "policy");
    if (!SchedulingPolicies.NAMES.contains(policy)) {
      throw SettingsException.invalid(PATH + ".policy", "one of " + String.join(", ", SchedulingPolicies.NAMES), policy);
    }
    streamPriorities = List.copyOf(streamPriorities);
    if (streamPriorities.isEmpty()) {
      throw SettingsException.invalid(PATH + ".stream-priorities", "a list of at least one integer priority",
          streamPriorities);
    }
    if (maxOpsPerSuperKernel < 1) {
      throw SettingsException.invalid(PATH + ".max-ops-per-super-kernel", "an integer >= 1", maxOpsPerSuperKernel);
    }
    if (!(superKernelWaves > 0) || Double.isInfinite(superKernelWaves)) {
      throw SettingsException.invalid(PATH + ".super-kernel-waves", "a positive number", superKernelWaves);
    }
    if (maxLaunchesInFlightPerStream < 1) {
      throw SettingsException.invalid(PATH + ".max-launches-in-flight-per-stream", "an integer >= 1",
          maxLaunchesInFlightPerStream);
    }
    Objects.requireNonNull(agingThreshold, "agingThreshold");
    ConfigValues.requireNonNegative(PATH + ".aging-threshold", agingThreshold);
    if (profilingRuns < 0) {
      throw SettingsException.invalid(PATH + ".profiling-runs", "an integer >= 0", profilingRuns);
    }
    if (maxBatchesInFlightPerModel < 1) {
      throw SettingsException.invalid(PATH + ".max-batches-in-flight-per-model", "an integer >= 1",
          maxBatchesInFlightPerModel);
    }
    Objects.requireNonNull(endpointReplyGrace, "endpointReplyGrace");
    ConfigValues.requireNonNegative(PATH + ".endpoint.reply-grace", endpointReplyGrace);
    Objects.requireNonNull(maxHold, "maxHold");
    ConfigValues.requireNonNegative(PATH + ".max-hold", maxHold);
    if (lessUrgentLaunches < 0) {
      throw SettingsException.invalid(PATH + ".less-urgent-launches", "an integer >= 0", lessUrgentLaunches);
    }
    Objects.requireNonNull(launchPathBacklog, "launchPathBacklog");
    ConfigValues.requireNonNegative(PATH + ".launch-path-backlog", launchPathBacklog);
  }

  /** Reads the block from {@code config} (which must include the reference defaults). */
  public static GpuSettings from(Config config) {
    return new GpuSettings(
        ConfigValues.string(config, PATH + ".policy"),
        intList(config, PATH + ".stream-priorities"),
        ConfigValues.intAtLeast(config, PATH + ".max-ops-per-super-kernel", 1),
        positiveDouble(config, PATH + ".super-kernel-waves"),
        ConfigValues.intAtLeast(config, PATH + ".max-launches-in-flight-per-stream", 1),
        ConfigValues.nonNegativeDuration(config, PATH + ".aging-threshold"),
        ConfigValues.intAtLeast(config, PATH + ".profiling-runs", 0),
        ConfigValues.intAtLeast(config, PATH + ".max-batches-in-flight-per-model", 1),
        ConfigValues.nonNegativeDuration(config, PATH + ".endpoint.reply-grace"),
        ConfigValues.nonNegativeDuration(config, PATH + ".max-hold"),
        ConfigValues.intAtLeast(config, PATH + ".less-urgent-launches", 0),
        ConfigValues.nonNegativeDuration(config, PATH + ".launch-path-backlog"));
  }

  /** The defaults of {@code reference.conf}. */
  public static GpuSettings defaults() {
    return from(ConfigFactory.defaultReference());
  }

  /** A copy with another starting policy. */
  public GpuSettings withPolicy(String newPolicy) {
    return new GpuSettings(newPolicy, streamPriorities, maxOpsPerSuperKernel, superKernelWaves,
        maxLaunchesInFlightPerStream, agingThreshold, profilingRuns, maxBatchesInFlightPerModel, endpointReplyGrace,
        maxHold, lessUrgentLaunches, launchPathBacklog);
  }

  /** A copy with another number of profiling runs. */
  public GpuSettings withProfilingRuns(int runs) {
    return new GpuSettings(policy, streamPriorities, maxOpsPerSuperKernel, superKernelWaves,
        maxLaunchesInFlightPerStream, agingThreshold, runs, maxBatchesInFlightPerModel, endpointReplyGrace,
        maxHold, lessUrgentLaunches, launchPathBacklog);
  }

  /** A copy with another {@code endpoint.reply-grace}. */
  public GpuSettings withEndpointReplyGrace(Duration replyGrace) {
    return new GpuSettings(policy, streamPriorities, maxOpsPerSuperKernel, superKernelWaves,
        maxLaunchesInFlightPerStream, agingThreshold, profilingRuns, maxBatchesInFlightPerModel, replyGrace,
        maxHold, lessUrgentLaunches, launchPathBacklog);
  }

  /** A copy with other stream priorities (one stream per entry). */
  public GpuSettings withStreamPriorities(List<Integer> priorities) {
    return new GpuSettings(policy, priorities, maxOpsPerSuperKernel, superKernelWaves,
        maxLaunchesInFlightPerStream, agingThreshold, profilingRuns, maxBatchesInFlightPerModel, endpointReplyGrace,
        maxHold, lessUrgentLaunches, launchPathBacklog);
  }

  /** A copy with another limit of batches in flight per model. */
  public GpuSettings withMaxBatchesInFlightPerModel(int batches) {
    return new GpuSettings(policy, streamPriorities, maxOpsPerSuperKernel, superKernelWaves,
        maxLaunchesInFlightPerStream, agingThreshold, profilingRuns, batches, endpointReplyGrace,
        maxHold, lessUrgentLaunches, launchPathBacklog);
  }

  /** A copy with another {@code max-hold} (zero turns holding for fusion partners off). */
  public GpuSettings withMaxHold(Duration hold) {
    return new GpuSettings(policy, streamPriorities, maxOpsPerSuperKernel, superKernelWaves,
        maxLaunchesInFlightPerStream, agingThreshold, profilingRuns, maxBatchesInFlightPerModel, endpointReplyGrace,
        hold, lessUrgentLaunches, launchPathBacklog);
  }

  /** A copy with another {@code less-urgent-launches} (0: strict priority). */
  public GpuSettings withLessUrgentLaunches(int launches) {
    return new GpuSettings(policy, streamPriorities, maxOpsPerSuperKernel, superKernelWaves,
        maxLaunchesInFlightPerStream, agingThreshold, profilingRuns, maxBatchesInFlightPerModel, endpointReplyGrace,
        maxHold, launches, launchPathBacklog);
  }

  /** The scheduler's configuration for a device with the given limits (empty for the CPU). */
  public SchedulerConfig schedulerConfig(Optional<GpuSpec> gpu) {
    return new SchedulerConfig(streamPriorities, maxOpsPerSuperKernel, gpu, maxLaunchesInFlightPerStream,
        superKernelWaves, agingThreshold, maxHold, lessUrgentLaunches, launchPathBacklog);
  }

  private static List<Integer> intList(Config config, String key) {
    try {
      return new ArrayList<>(config.getIntList(key));
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + ": required setting is missing (expected a list of integers such as [-1, 0])", e);
    } catch (ConfigException.WrongType e) {
      throw SettingsException.invalid(key, "a list of integers such as [-1, 0]", config.getValue(key).unwrapped());
    }
  }

  private static double positiveDouble(Config config, String key) {
    double v;
    try {
      v = config.getDouble(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key + ": required setting is missing (expected a positive number)", e);
    } catch (ConfigException.WrongType e) {
      throw SettingsException.invalid(key, "a positive number", config.getValue(key).unwrapped());
    }
    if (!(v > 0) || Double.isInfinite(v)) {
      throw SettingsException.invalid(key, "a positive number", v);
    }
    return v;
  }
}
