package dev.braid.coordinator.cli;

import java.util.function.IntSupplier;
import picocli.CommandLine.Option;

/**
 * {@code --threads}, the CPU device's thread count, as the commands that may drive a CPU device
 * share it (a picocli mixin): without it, {@code braid.runtime.cpu-threads} (one per core).
 */
public final class CpuThreadsOption {
  @Option(names = "--threads", description = "CPU device threads (default: braid.runtime.cpu-threads, one per core).")
  Integer threads;

  /** The flag's value; null without it. */
  public Integer given() {
    return threads;
  }

  /**
   * The threads to use: the flag's value, else {@code configured} (asked only without the flag);
   * refuses a count below 1, naming the flag and the value.
   */
  public int orElse(IntSupplier configured) {
    int n = threads == null ? configured.getAsInt() : threads;
    if (n < 1) {
      throw new IllegalArgumentException("--threads: expected an integer >= 1, got " + n);
    }
    return n;
  }
}
