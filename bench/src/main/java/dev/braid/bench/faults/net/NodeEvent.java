package dev.braid.bench.faults.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of a node's event stream ({@code braid serve --events FILE}: one JSON object per line,
 * {@code {"t_ms":..., "node":"host:port", "event":"kind", ...}}), reduced to what the partition
 * checks read: when, which node, what kind. Other fields are ignored; so are lines that are not a
 * whole object (the last line of a file being written, or of a node killed mid-write).
 *
 * @param tMs   the node's wall clock at the event, epoch milliseconds
 * @param node  the node's cluster address, host:port
 * @param kind  the event's kind ({@code coordinator-started}, {@code placement}, ...)
 */
public record NodeEvent(long tMs, String node, String kind) {
  private static final Pattern T_MS = Pattern.compile("\"t_ms\"\\s*:\\s*(\\d+)");
  private static final Pattern NODE = Pattern.compile("\"node\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern EVENT = Pattern.compile("\"event\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** The event on {@code line}, or empty when the line is torn or lacks one of the three fields. */
  public static Optional<NodeEvent> parse(String line) {
    String s = line.strip();
    if (!s.startsWith("{") || !s.endsWith("}")) {
      return Optional.empty();
    }
    Matcher t = T_MS.matcher(s);
    Matcher n = NODE.matcher(s);
    Matcher e = EVENT.matcher(s);
    if (!t.find() || !n.find() || !e.find()) {
      return Optional.empty();
    }
    return Optional.of(new NodeEvent(Long.parseLong(t.group(1)), n.group(1), e.group(1)));
  }

  /** Every whole event in {@code file}, in file order; none when the file does not exist (yet). */
  public static List<NodeEvent> read(Path file) throws IOException {
    List<NodeEvent> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      parse(line).ifPresent(out::add);
    }
    return out;
  }
}
