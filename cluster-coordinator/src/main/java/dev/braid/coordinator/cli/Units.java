package dev.braid.coordinator.cli;

import java.util.Locale;

/** Human-readable counts and rates for command output. */
final class Units {
  private Units() {}

  /** 11689512 -> "11.69M". */
  static String count(long n) {
    if (n >= 1_000_000_000L) {
      return String.format(Locale.ROOT, "%.2fG", n / 1e9);
    }
    if (n >= 1_000_000L) {
      return String.format(Locale.ROOT, "%.2fM", n / 1e6);
    }
    if (n >= 1_000L) {
      return String.format(Locale.ROOT, "%.1fk", n / 1e3);
    }
    return Long.toString(n);
  }

  /** FLOPs as "1.82 GFLOP". */
  static String flops(long flops) {
    return count(flops) + "FLOP";
  }

  /** Nanoseconds as milliseconds with three significant decimals. */
  static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
  }
}
