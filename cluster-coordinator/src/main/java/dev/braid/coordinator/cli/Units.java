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

  /** Bytes in binary units: "812 B", "1.5 KiB", "420.0 MiB", "79.6 GiB". */
  static String bytes(long n) {
    if (n >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    if (n >= 1L << 10) {
      return String.format(Locale.ROOT, "%.1f KiB", n / (double) (1L << 10));
    }
    return n + " B";
  }

  /** A share in [0, 1] as a percentage: 0.4567 -> "45.7%". */
  static String percent(double share) {
    return String.format(Locale.ROOT, "%.1f%%", share * 100);
  }
}
