package dev.braid.device;

import dev.braid.device.plan.FusionKey;
import dev.braid.device.plan.FusionKeys;
import java.util.List;
import java.util.Optional;

/**
 * A super-kernel: several problems run as one launch of one grouped kernel. Every problem's kernel
 * has a {@link FusionKeys fusion key} and all the keys are equal (for example GEMMs of one tile
 * class, or elementwise kernels of mixed ops); their shapes and attributes may differ and they may
 * belong to different models. The launch completes when every problem has, and fails if any does.
 */
public record GroupedLaunch(List<KernelLaunch> problems) implements Launch {
  /** @throws IllegalArgumentException if empty, or a problem has no key or another key than problem 0 */
  public GroupedLaunch {
    problems = List.copyOf(problems);
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a grouped launch needs at least one problem");
    }
    FusionKey key = keyOf(problems, 0);
    for (int i = 1; i < problems.size(); i++) {
      FusionKey other = keyOf(problems, i);
      if (!other.equals(key)) {
        throw new IllegalArgumentException("grouped launch problem " + i + " ("
            + problems.get(i).kernel() + ") has fusion key " + other + ", problem 0 ("
            + problems.get(0).kernel() + ") has " + key + ": a grouped launch takes one key");
      }
    }
  }

  private static FusionKey keyOf(List<KernelLaunch> problems, int i) {
    Optional<FusionKey> key = FusionKeys.of(problems.get(i).kernel());
    if (key.isEmpty()) {
      throw new IllegalArgumentException("grouped launch problem " + i + " (" + problems.get(i).kernel()
          + ") has no fusion key: no grouped kernel takes it (layout kernels and bf16 GEMMs and"
          + " convolutions launch alone)");
    }
    return key.get();
  }

  /** The fusion key all problems share. */
  public FusionKey key() {
    return FusionKeys.of(problems.get(0).kernel()).orElseThrow();
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
  @Override
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
