package dev.braid.bench;

import dev.braid.coordinator.events.JsonString;
import java.util.Locale;

/**
 * The little JSON the benchmarks' result files need: quoted strings and numbers that stay valid
 * JSON. The files are written by hand, keys in a fixed order, so that deterministic runs give
 * byte-identical files.
 */
public final class Json {
  private Json() {}

  /** {@code s} as a JSON string literal. */
  public static String quote(String s) {
    return JsonString.quote(s);
  }

  /** A number, or null for NaN and infinities (which JSON cannot hold). */
  public static String num(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "null";
    }
    return String.format(Locale.ROOT, "%.6g", v);
  }
}
