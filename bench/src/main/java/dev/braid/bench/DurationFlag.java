package dev.braid.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmarks' duration flags ({@code --duration}, {@code --probe-duration}, a fixed {@code
 * --slo}): {@code <number><unit>}, the unit {@code ms}, {@code s} or {@code m} (any case), the
 * number possibly fractional ({@code 1.5m}), at least a millisecond.
 */
public final class DurationFlag {
  private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m)");

  private DurationFlag() {}

  /**
   * The duration {@code text} gives {@code flag}; an IllegalArgumentException naming the flag, the
   * form expected and the text when it is not of that form or under 1ms.
   */
  public static Duration parse(String flag, String text) {
    Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      double nanos = Double.parseDouble(m.group(1)) * switch (m.group(2)) {
        case "ms" -> 1e6;
        case "s" -> 1e9;
        default -> 60e9;
      };
      if (nanos >= 1e6) {
        return Duration.ofNanos(Math.round(nanos));
      }
    }
    throw new IllegalArgumentException(flag + ": expected a duration of at least 1ms such as 500ms, 10s or 2m, got '"
        + text + "'");
  }
}
