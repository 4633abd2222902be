package dev.braid.bench.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of a node's event stream ({@code braid serve --events FILE}): {@code {"t_ms":...,
 * "node":"host:port","event":"kind", ...fields}}, one flat JSON object per line. Fields hold
 * their JSON text for numbers, booleans and nested values, and the unescaped text of strings.
 *
 * @param tMs epoch milliseconds on the node's clock (the harness's own, on one machine)
 * @param node the node's cluster address, host:port
 * @param kind the event: started, executed, self-downed, exiting, coordinator-started ...
 */
public record NodeEvent(long tMs, String node, String kind, Map<String, String> fields) {
  public NodeEvent {
    fields = Map.copyOf(fields);
  }

  /** A field, or "" when the event has none. */
  public String field(String name) {
    return fields.getOrDefault(name, "");
  }

  /**
   * Every whole event of {@code file}, in order. A torn last line (the node was killed while
   * writing it) and lines that are not one JSON object are skipped.
   *
   * @throws NoSuchFileException when the node never wrote an event: its Braid has no event stream
   */
  public static List<NodeEvent> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "no event stream: this Braid does not write "
          + "braid.events.file (braid serve --events), which this check needs");
    }
    List<NodeEvent> events = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      NodeEvent e = parse(line);
      if (e != null) {
        events.add(e);
      }
    }
    return events;
  }

  /** The event of one line, or null when the line is not a whole flat JSON object with t_ms and event. */
  static NodeEvent parse(String line) {
    Map<String, String> fields = new LinkedHashMap<>();
    Cursor c = new Cursor(line.strip());
    try {
      c.expect('{');
      c.skipSpace();
      if (c.peek() != '}') {
        do {
          c.skipSpace();
          String key = c.string();
          c.skipSpace();
          c.expect(':');
          c.skipSpace();
          fields.put(key, c.value());
          c.skipSpace();
        } while (c.tryTake(','));
      }
      c.expect('}');
      long t = Long.parseLong(fields.getOrDefault("t_ms", ""));
      String kind = fields.remove("event");
      if (kind == null) {
        return null;
      }
      fields.remove("t_ms");
      String node = fields.remove("node");
      return new NodeEvent(t, node == null ? "" : node, kind, fields);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      return null; // a torn or foreign line
    }
  }

  /** Reads one JSON text left to right; throws on anything it does not expect. */
  private static final class Cursor {
    private final String s;
    private int i;

    Cursor(String s) {
      this.s = s;
    }

    char peek() {
      return s.charAt(i);
    }

    void skipSpace() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    void expect(char ch) {
      if (s.charAt(i) != ch) {
        throw new IllegalArgumentException("expected '" + ch + "' at " + i);
      }
      i++;
    }

    boolean tryTake(char ch) {
      if (i < s.length() && s.charAt(i) == ch) {
        i++;
        return true;
      }
      return false;
    }

    String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (true) {
        char ch = s.charAt(i++);
        if (ch == '"') {
          return b.toString();
        }
        if (ch == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'r' -> b.append('\r');
            case 'b' -> b.append('\b');
            case 'f' -> b.append('\f');
            case 'u' -> {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> b.append(e);
          }
        } else {
          b.append(ch);
        }
      }
    }

    /** A string's text, or the raw JSON text of any other value (nested ones included). */
    String value() {
      if (peek() == '"') {
        return string();
      }
      int start = i;
      int depth = 0;
      boolean inString = false;
      while (i < s.length()) {
        char ch = s.charAt(i);
        if (inString) {
          if (ch == '\\') {
            i++;
          } else if (ch == '"') {
            inString = false;
          }
        } else if (ch == '"') {
          inString = true;
        } else if (ch == '[' || ch == '{') {
          depth++;
        } else if (ch == ']' || ch == '}') {
          if (depth == 0) {
            break;
          }
          depth--;
        } else if (ch == ',' && depth == 0) {
          break;
        }
        i++;
      }
      if (depth != 0 || inString || i == start) {
        throw new IllegalArgumentException("unterminated value at " + start);
      }
      return s.substring(start, i).strip();
    }
  }
}
