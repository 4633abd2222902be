package dev.braid.coordinator.events;

import java.util.Locale;

/**
 * A Java string as a JSON string literal (RFC 8259): quotes, backslashes and control characters
 * escaped, everything else as is. One implementation for the event stream and for the benchmarks'
 * JSON files, so that what one writes the other's readers parse alike.
 */
public final class JsonString {
  private JsonString() {}

  /** {@code s} quoted and escaped. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2);
    append(b, s);
    return b.toString();
  }

  /** Appends {@code s} to {@code b}, quoted and escaped. */
  public static void append(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
