package dev.braid.bench.policies;

import dev.braid.bench.DurationFlag;
import dev.braid.model.zoo.ModelZoo;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parsers of {@code bench policies}' text flags ({@code --duration}, {@code --slo}, {@code
 * --rate}, {@code --mix}, {@code --critical}, {@code --timeline-from-ms}): each returns the value or
 * throws an IllegalArgumentException naming the flag, the form expected and the text given.
 */
final class PoliciesFlags {
  private static final Pattern SLO_MULTIPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)x");

  private PoliciesFlags() {}

  /**
   * The instance {@code --critical} names among {@code n} instances cycling through {@code archs}:
   * an instance name ({@code <arch>#<index>}) as given, or an architecture of the mix for its first
   * instance.
   */
  static String resolveCritical(String text, int n, List<String> archs) {
    String t = text.trim();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      names.add(archs.get(i % archs.size()) + "#" + i);
    }
    if (names.contains(t)) {
      return t;
    }
    for (String name : names) {
      if (name.substring(0, name.indexOf('#')).equals(t)) {
        return name;
      }
    }
    List<String> present = names.stream().map(s -> s.substring(0, s.indexOf('#'))).distinct().toList();
    throw new IllegalArgumentException("--critical: expected an instance name (" + String.join(", ", names)
        + ") or an architecture of the mix (" + String.join(", ", present) + "), got '" + text + "'");
  }

  /** A latency objective: a multiple of the isolated latency ({@code multiple > 0}) or a fixed time. */
  record Slo(double multiple, long fixedNanos) {}

  static Slo parseSlo(String text) {
    Matcher m = SLO_MULTIPLE.matcher(text.trim());
    if (m.matches()) {
      double k = Double.parseDouble(m.group(1));
      if (!(k > 0)) {
        throw new IllegalArgumentException("--slo: expected a multiple > 0 such as 5x, got '" + text + "'");
      }
      return new Slo(k, 0);
    }
    try {
      return new Slo(0, parseDuration("--slo", text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--slo: expected a multiple of the isolated latency such as 5x, or a"
          + " duration such as 25ms, got '" + text + "'");
    }
  }

  /** A duration flag in nanoseconds: {@code <number><unit>} with unit ms, s or m, at least 1ms ({@link DurationFlag}). */
  static long parseDuration(String flag, String text) {
    return DurationFlag.parse(flag, text).toNanos();
  }

  /** {@code --timeline-from-ms}: milliseconds >= 0, or null for auto. */
  static Double parseTimelineFrom(String text) {
    if (text.trim().equalsIgnoreCase("auto")) {
      return null;
    }
    double ms;
    try {
      ms = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      ms = Double.NaN;
    }
    if (!(ms >= 0) || Double.isInfinite(ms)) {
      throw new IllegalArgumentException("--timeline-from-ms: expected milliseconds >= 0 or auto, got '" + text + "'");
    }
    return ms;
  }

  /** The per-model rate, or null for auto. */
  static Double parseRate(String text) {
    if (text.trim().equalsIgnoreCase("auto")) {
      return null;
    }
    double r;
    try {
      r = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--rate: expected requests/s per model (a number > 0) or auto, got '"
          + text + "'");
    }
    if (!(r > 0) || Double.isInfinite(r)) {
      throw new IllegalArgumentException("--rate: expected requests/s per model (a number > 0) or auto, got '"
          + text + "'");
    }
    return r;
  }

  /** {@code --mix}: the architectures, each a zoo model, at least one. */
  static List<String> mix(List<String> given) {
    List<String> out = new ArrayList<>();
    for (String g : given) {
      String name = g.trim();
      if (!ModelZoo.MODEL_NAMES.contains(name)) {
        throw new IllegalArgumentException("--mix: unknown model '" + g + "'; known: "
            + String.join(", ", ModelZoo.MODEL_NAMES));
      }
      out.add(name);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("--mix: expected at least one of " + String.join(", ", ModelZoo.MODEL_NAMES));
    }
    return out;
  }
}
