package dev.braid.device;

import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Gemm;
import java.util.List;

/**
 * A super-kernel: several problems of the same kind run as one launch. All problems are
 * {@link Gemm} kernels or all are {@link Conv2d} kernels; their shapes may differ and they may
 * belong to different models. The launch completes when every problem has, and fails if any does.
 */
public record GroupedLaunch(List<KernelLaunch> problems) implements Launch {
  public GroupedLaunch {
    problems = List.copyOf(problems);
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a grouped launch needs at least one problem");
    }
    Class<?> kind = problems.get(0).kernel().getClass();
    if (kind != Gemm.class && kind != Conv2d.class) {
      throw new IllegalArgumentException(
          "grouped launches take Gemm or Conv2d problems, got " + kind.getSimpleName());
    }
    for (int i = 1; i < problems.size(); i++) {
      if (problems.get(i).kernel().getClass() != kind) {
        throw new IllegalArgumentException(
            "grouped launch mixes " + kind.getSimpleName() + " with "
                + problems.get(i).kernel().getClass().getSimpleName() + " at problem " + i);
      }
    }
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
