package dev.braid.bench.load;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * When an open-loop run means to send each request: offsets in nanoseconds from the run's start,
 * one per call of {@link #nextOffsetNanos()}, increasing. Pure: no clock, no threads; the same
 * distribution, rate and seed give the same offsets.
 *
 * <p>{@code constant} spaces requests exactly {@code 1/rate} apart; {@code poisson} draws
 * exponential gaps of mean {@code 1/rate} (a Poisson process, how independent clients arrive).
 */
public final class Arrivals {
  /** How the gaps between requests are drawn. */
  public enum Distribution {
    CONSTANT, POISSON;

    /** "constant" or "poisson" (the flag named {@code flag}). */
    public static Distribution parse(String flag, String text) {
      for (Distribution d : values()) {
        if (d.name().equalsIgnoreCase(text.trim())) {
          return d;
        }
      }
      throw new IllegalArgumentException(flag + ": expected poisson or constant, got '" + text + "'");
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Distribution distribution;
  private final double meanGapNanos;
  private final SplittableRandom random;
  private long index;
  private double offsetNanos;

  public Arrivals(Distribution distribution, double ratePerSecond, long seed) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("rate: expected requests per second > 0, got " + ratePerSecond);
    }
    this.distribution = distribution;
    this.meanGapNanos = 1e9 / ratePerSecond;
    this.random = new SplittableRandom(seed);
  }

  /** The next request's intended send time, in nanoseconds after the start; the first is 0. */
  public long nextOffsetNanos() {
    long offset;
    if (distribution == Distribution.CONSTANT) {
      // index * gap rather than a running sum: no rounding drift over a long run.
      offset = Math.round(index * meanGapNanos);
    } else {
      offset = Math.round(offsetNanos);
      // Inverse transform of an exponential gap; 1 - u lies in (0, 1], so the log is finite.
      offsetNanos += -Math.log(1 - random.nextDouble()) * meanGapNanos;
    }
    index++;
    return offset;
  }
}
