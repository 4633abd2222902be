package dev.braid.bench.timeline;

import dev.braid.device.trace.TraceRecorder;
import java.nio.file.Path;

/**
 * The checks and file names the {@code --trace} flags of the commands share: {@code --trace FILE}
 * writes a Chrome trace-event JSON file, {@code --trace-events N} bounds it to its first N events.
 */
public final class TraceFlags {
  private TraceFlags() {}

  /** {@code --trace-events}: an integer >= 1. */
  public static int maxEvents(int given) {
    if (given < 1) {
      throw new IllegalArgumentException("--trace-events: expected an integer >= 1, got " + given);
    }
    return given;
  }

  /** A recorder bounded by {@code --trace-events}. */
  public static TraceRecorder recorder(int maxEvents) {
    return new TraceRecorder(maxEvents(maxEvents));
  }

  /**
   * {@code file} with {@code -<part>} inserted before its extension, for one file per policy:
   * {@code trace.json} -> {@code trace-space-time.json}; {@code trace} -> {@code trace-space-time}.
   */
  public static Path withPart(Path file, String part) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String out = dot > 0 ? name.substring(0, dot) + "-" + part + name.substring(dot) : name + "-" + part;
    return file.resolveSibling(out);
  }

  /** The line a command prints after writing {@code recorder} to {@code file}. */
  public static String wrote(Path file, TraceRecorder recorder) {
    return "wrote " + file + " (" + recorder.events().size() + " events"
        + (recorder.truncated() ? ", truncated: only the first " + recorder.maxEvents() + " kept (--trace-events)"
            : "") + ")";
  }
}
