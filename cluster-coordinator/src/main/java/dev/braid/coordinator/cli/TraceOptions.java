package dev.braid.coordinator.cli;

import dev.braid.device.trace.TraceRecorder;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --trace} options the commands that drive a device share (a picocli mixin): {@code
 * --trace FILE} writes the device timeline as Chrome trace-event JSON, {@code --trace-events N}
 * keeps its first N events. Without {@code --trace} nothing is recorded and the device is not
 * wrapped.
 */
public final class TraceOptions {
  @Option(names = "--trace", paramLabel = "FILE", description = "Write the device timeline (Chrome trace-event JSON,"
      + " for Perfetto or chrome://tracing) to this file when the command ends.")
  Path file;

  @Option(names = "--trace-events", description = "Events the trace keeps, the first ones (default: ${DEFAULT-VALUE}).")
  int maxEvents = TraceRecorder.DEFAULT_MAX_EVENTS;

  /** The file {@code --trace} names; null without it. */
  public Path file() {
    return file;
  }

  /**
   * A recorder bounded by {@code --trace-events}, or null without {@code --trace}; refuses
   * {@code --trace-events} below 1 either way, naming the flag and the value.
   */
  public TraceRecorder recorder() {
    if (maxEvents < 1) {
      throw new IllegalArgumentException("--trace-events: expected an integer >= 1, got " + maxEvents);
    }
    return file == null ? null : new TraceRecorder(maxEvents);
  }

  /** Writes {@code recorder} to the {@code --trace} file and returns the line saying so (and whether it was cut). */
  public String write(TraceRecorder recorder) throws IOException {
    recorder.write(file);
    return "wrote " + file + " (" + recorder.events().size() + " events"
        + (recorder.truncated() ? ", truncated: only the first " + recorder.maxEvents() + " kept (--trace-events)"
            : "") + ")";
  }
}
