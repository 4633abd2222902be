package dev.braid.device;

import dev.braid.device.plan.KernelFamily;
import java.util.List;

/**
 * A super-kernel: several problems of the same kind run as one launch. All problems belong to one
 * kernel family (temporarily, until branch fuse's FusionKeys rule replaces this check); their
 * shapes may differ and they may belong to different models. The launch completes when every problem has, and fails if any does.
 */
public record GroupedLaunch(List<KernelLaunch> problems) implements Launch {
  public GroupedLaunch {
    problems = List.copyOf(problems);
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a grouped launch needs at least one problem");
    }
    // TEMPORARY (branch cuda, superseded by branch fuse's FusionKeys rule): one kernel family
    // per launch, dense and depthwise convolutions together, layout kernels never.
    KernelFamily kind = family(problems.get(0).kernel());
    if (kind == KernelFamily.LAYOUT) {
      throw new IllegalArgumentException("grouped launches take no " + kind + " kernels, got "
          + problems.get(0).kernel().getClass().getSimpleName());
    }
    for (int i = 1; i < problems.size(); i++) {
      if (family(problems.get(i).kernel()) != kind) {
        throw new IllegalArgumentException(
            "grouped launch mixes " + problems.get(0).kernel().getClass().getSimpleName() + " with "
                + problems.get(i).kernel().getClass().getSimpleName() + " at problem " + i);
      }
    }
  }

  private static KernelFamily family(dev.braid.device.kernel.Kernel k) {
    KernelFamily f = KernelFamily.of(k);
    return f == KernelFamily.DEPTHWISE_CONV2D ? KernelFamily.CONV2D : f;
  }

  @Override
  public long flops() {
    long f = 0;
    for (KernelLaunch p : problems) {
      f += p.flops();
    }
    return f;
  }

  /** Validates every problem; the exception names the problem's index. */
  public void validate() {
    for (int i = 0; i < problems.size(); i++) {
      try {
        problems.get(i).validate();
      } catch (DeviceException e) {
        throw new DeviceException(e.reason(), "grouped problem " + i + ": " + e.getMessage());
      }
    }
  }
}
