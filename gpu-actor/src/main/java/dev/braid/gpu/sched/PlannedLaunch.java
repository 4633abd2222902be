package dev.braid.gpu.sched;

import dev.braid.device.plan.FusionKey;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A launch the scheduler decided: one kernel (one op) or a super-kernel (several ops of different
 * jobs with one equal {@link FusionKey}), the stream it goes to and its window.
 *
 * <p>Lifecycle: planned (returned by {@link SpaceTimeScheduler#plan}, counted in flight from then
 * on) -> settled, exactly once, by {@link SpaceTimeScheduler#completed} or {@link
 * SpaceTimeScheduler#failed}.
 *
 * @param launchId unique in one scheduler, increasing in planning order
 * @param ops the problems, most urgent first; every op belongs to a different job
 * @param stream index into {@link SchedulerConfig#streamPriorities()}
 */
public record PlannedLaunch(long launchId, List<OpRef> ops, int stream, LaunchWindow window) {
  public PlannedLaunch {
    ops = List.copyOf(ops);
    Objects.requireNonNull(window, "window");
    if (ops.isEmpty()) {
      throw new IllegalArgumentException("launch " + launchId + " has no ops");
    }
  }

  /** True when the launch groups several ops into one super-kernel. */
  public boolean isSuperKernel() {
    return ops.size() > 1;
  }

  /** The shared fusion key of a super-kernel, or the single op's key (possibly empty). */
  public Optional<FusionKey> fusionKey() {
    return ops.get(0).fusionKey();
  }
}
