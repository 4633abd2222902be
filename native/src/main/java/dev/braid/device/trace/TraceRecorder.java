package dev.braid.device.trace;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A device timeline held in memory and written in the Chrome trace-event JSON format ("Trace
 * Event Format": {@code {"traceEvents": [...]}}), which Perfetto (ui.perfetto.dev) and
 * {@code chrome://tracing} open.
 *
 * <p>What it holds: complete events ({@code "ph": "X"}, a start and a duration on one track),
 * counter events ({@code "C"}) and the metadata events ({@code "M"}) that name processes (one per
 * device) and threads (one track per stream, one for the host launch path). Times are kept in
 * nanoseconds and written as microseconds with three decimals, as the format wants.
 *
 * <p>Bounded: it keeps the first {@code maxEvents} complete and counter events it is given (in
 * the order they are recorded, which is the order they finish) and drops the rest; metadata does
 * not count. A truncated file says so twice: {@code otherData.truncated} is true beside the limit,
 * and a global instant event named {@code trace truncated: ...} marks the time of the first event
 * not kept. Sources ask {@link #full()} and stop offering events once nothing more will be kept,
 * so how many were lost is not known.
 *
 * <p>Thread-safe (a real device completes launches on its own threads); every method locks the
 * recorder. Invariant: {@code events().size() <= maxEvents}.
 */
public final class TraceRecorder {
  /** Enough for a few seconds of a busy simulated GPU, and a file of about 40 MB at most. */
  public static final int DEFAULT_MAX_EVENTS = 200_000;

  /** The host launch path's track in every process; streams are tracks {@code 1 + stream}. */
  public static final int HOST_TRACK = 0;

  /**
   * One event of the timeline.
   *
   * @param phase {@code 'X'} (complete) or {@code 'C'} (counter)
   * @param process the device (a Chrome "pid")
   * @param track the track (a Chrome "tid"): {@link #HOST_TRACK} or {@code 1 + stream}
   * @param name what the event shows: the kernel family, the copy, the counter's name
   * @param category {@code kernel}, {@code super-kernel}, {@code copy}, {@code host} or {@code counter}
   * @param startNanos start on the trace's clock
   * @param durationNanos 0 for counters
   * @param args the event's arguments (strings, numbers, lists and maps of these)
   */
  public record Event(char phase, int process, int track, String name, String category, long startNanos,
      long durationNanos, Map<String, Object> args) {
    public Event {
      Objects.requireNonNull(name, "name");
      args = args == null ? Map.of() : args;
    }

    public long endNanos() {
      return startNanos + durationNanos;
    }
  }

  private record Meta(int process, int track, String what, String name, int sortIndex) {}

  private final int maxEvents;
  private final List<Event> events = new ArrayList<>();
  private final List<Meta> meta = new ArrayList<>();
  private int processes;
  private boolean truncated;
  private long firstDroppedNanos = -1;

  /** @param maxEvents complete and counter events kept, >= 1 */
  public TraceRecorder(int maxEvents) {
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents: expected an integer >= 1, got " + maxEvents);
    }
    this.maxEvents = maxEvents;
  }

  public int maxEvents() {
    return maxEvents;
  }

  /** A new process (one device's timeline) named {@code name}; returns its id. */
  public synchronized int process(String name) {
    int id = ++processes;
    meta.add(new Meta(id, 0, "process_name", name, id));
    return id;
  }

  /** Names track {@code track} of {@code process}; tracks sort by their number. */
  public synchronized void track(int process, int track, String name) {
    meta.add(new Meta(process, track, "thread_name", name, track));
  }

  /** Records a complete event; false (and the trace marked truncated) once the bound is reached. */
  public synchronized boolean complete(int process, int track, String name, String category, long startNanos,
      long durationNanos, Map<String, Object> args) {
    return add(new Event('X', process, track, name, category, startNanos, Math.max(0, durationNanos), args));
  }

  /** Records a counter's values at {@code atNanos}; false (the trace marked truncated) once the bound is reached. */
  public synchronized boolean counter(int process, String name, long atNanos, Map<String, Object> values) {
    return add(new Event('C', process, 0, name, "counter", atNanos, 0, values));
  }

  private boolean add(Event e) {
    if (events.size() >= maxEvents) {
      if (!truncated) {
        truncated = true;
        firstDroppedNanos = e.startNanos();
      }
      return false;
    }
    events.add(e);
    return true;
  }

  /** True once the bound is reached: nothing more will be kept. */
  public synchronized boolean full() {
    return events.size() >= maxEvents;
  }

  /** Whether an event was offered after the bound was reached (and not kept). */
  public synchronized boolean truncated() {
    return truncated;
  }

  /** The events kept, in recording order. */
  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  /** Writes the trace to {@code file} (replacing it), creating its directory. */
  public void write(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      writeTo(w);
    }
  }

  /** Writes the trace as one JSON object: metadata, the events in recording order, and the truncation marker. */
  public synchronized void writeTo(Writer w) throws IOException {
    w.write("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"braid\",\"maxEvents\":");
    w.write(Integer.toString(maxEvents));
    w.write(",\"events\":" + events.size());
    w.write(",\"truncated\":" + truncated);
    w.write("},\"traceEvents\":[");
    boolean first = true;
    for (Meta m : meta) {
      first = comma(w, first);
      w.write("{\"ph\":\"M\",\"pid\":" + m.process() + ",\"tid\":" + m.track() + ",\"name\":");
      quote(w, m.what());
      w.write(",\"args\":{\"name\":");
      quote(w, m.name());
      w.write("}}");
      first = comma(w, first);
      w.write("{\"ph\":\"M\",\"pid\":" + m.process() + ",\"tid\":" + m.track() + ",\"name\":");
      quote(w, m.what().equals("process_name") ? "process_sort_index" : "thread_sort_index");
      w.write(",\"args\":{\"sort_index\":" + m.sortIndex() + "}}");
    }
    for (Event e : events) {
      first = comma(w, first);
      w.write("{\"ph\":\"" + e.phase() + "\",\"pid\":" + e.process() + ",\"tid\":" + e.track() + ",\"name\":");
      quote(w, e.name());
      w.write(",\"cat\":");
      quote(w, e.category());
      w.write(",\"ts\":");
      w.write(micros(e.startNanos()));
      if (e.phase() == 'X') {
        w.write(",\"dur\":");
        w.write(micros(e.durationNanos()));
      }
      w.write(",\"args\":");
      value(w, e.args());
      w.write('}');
    }
    if (truncated) {
      first = comma(w, first);
      w.write("{\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":0,\"name\":");
      quote(w, "trace truncated: only the first " + maxEvents + " events kept");
      w.write(",\"cat\":\"trace\",\"ts\":" + micros(Math.max(0, firstDroppedNanos)) + ",\"args\":{}}");
    }
    w.write("]}\n");
  }

  private static boolean comma(Writer w, boolean first) throws IOException {
    if (!first) {
      w.write(",\n");
    }
    return false;
  }

  /** Nanoseconds as microseconds with exactly three decimals (exact, no floating point). */
  static String micros(long nanos) {
    String sign = nanos < 0 ? "-" : "";
    long a = Math.abs(nanos);
    return String.format(Locale.ROOT, "%s%d.%03d", sign, a / 1000, a % 1000);
  }

  private static void value(Writer w, Object v) throws IOException {
    if (v == null) {
      w.write("null");
    } else if (v instanceof String s) {
      quote(w, s);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      w.write(Double.isFinite(d) ? Double.toString(d) : "null");
    } else if (v instanceof Number || v instanceof Boolean) {
      w.write(v.toString());
    } else if (v instanceof Map<?, ?> m) {
      w.write('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          w.write(',');
        }
        first = false;
        quote(w, String.valueOf(e.getKey()));
        w.write(':');
        value(w, e.getValue());
      }
      w.write('}');
    } else if (v instanceof Iterable<?> it) {
      w.write('[');
      boolean first = true;
      for (Object o : it) {
        if (!first) {
          w.write(',');
        }
        first = false;
        value(w, o);
      }
      w.write(']');
    } else {
      quote(w, v.toString());
    }
  }

  private static void quote(Writer w, String s) throws IOException {
    w.write('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> w.write("\\\"");
        case '\\' -> w.write("\\\\");
        case '\n' -> w.write("\\n");
        case '\r' -> w.write("\\r");
        case '\t' -> w.write("\\t");
        default -> {
          if (c < 0x20) {
            w.write(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            w.write(c);
          }
        }
      }
    }
    w.write('"');
  }
}
