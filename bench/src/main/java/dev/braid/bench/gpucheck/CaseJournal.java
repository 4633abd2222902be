package dev.braid.bench.gpucheck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The file through which a child process of {@code gpucheck kernels --isolate} reports its
 * progress, one line per event, appended and flushed as it goes so that what it wrote survives a
 * crash: {@code device<TAB>name} once the device under test opened, {@code start<TAB>i} before case {@code i} runs, and {@code done<TAB>i<TAB>maxAbs<TAB>maxRel
 * <TAB>elements<TAB>passed<TAB>deviceError<TAB>failure} after. A {@code start} with no {@code done}
 * names the case the process died or hung in.
 */
final class CaseJournal {
  private CaseJournal() {}

  /** One finished case as the child recorded it; {@code deviceError} when the device under test threw. */
  record Done(int index, ErrorStats error, boolean passed, boolean deviceError, String failure) {}

  /** What a journal holds: the device's name (null if it never opened), the cases finished, the last case started (-1 if none). */
  record Progress(String deviceName, List<Done> done, int lastStarted) {
    /** The case started and never finished, or -1. */
    int unfinished() {
      return lastStarted >= 0 && done.stream().noneMatch(d -> d.index() == lastStarted) ? lastStarted : -1;
    }
  }

  static String deviceLine(String name) {
    return "device\t" + name.replace('\t', ' ').replace('\n', ' ') + "\n";
  }

  static String startLine(int index) {
    return "start\t" + index + "\n";
  }

  static String doneLine(Done d) {
    String failure = d.failure() == null ? "" : d.failure().replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    return String.format(Locale.ROOT, "done\t%d\t%s\t%s\t%d\t%s\t%s\t%s%n", d.index(), Double.toString(d.error().maxAbs()),
        Double.toString(d.error().maxRel()), d.error().elements(), d.passed(), d.deviceError(), failure);
  }

  static void append(Path journal, String line) throws IOException {
    Files.writeString(journal, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
        StandardOpenOption.SYNC);
  }

  /**
   * Parses {@code text}; a last line without its newline (the writer died mid-line) is ignored.
   *
   * @throws IllegalArgumentException naming the line for anything else malformed
   */
  static Progress parse(String text) {
    List<Done> done = new ArrayList<>();
    int lastStarted = -1;
    String deviceName = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) { // the piece after the last newline is incomplete
      String line = lines[i];
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      try {
        if (f[0].equals("device") && f.length == 2) {
          deviceName = f[1];
        } else if (f[0].equals("start") && f.length == 2) {
          lastStarted = Integer.parseInt(f[1]);
        } else if (f[0].equals("done") && f.length == 8) {
          done.add(new Done(Integer.parseInt(f[1]),
              new ErrorStats(Double.parseDouble(f[2]), Double.parseDouble(f[3]), Long.parseLong(f[4])),
              Boolean.parseBoolean(f[5]), Boolean.parseBoolean(f[6]), f[7].isEmpty() ? null : f[7]));
        } else {
          throw new IllegalArgumentException("expected 'device<TAB>name', 'start<TAB>i' or 'done' with 8 fields");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("case journal line " + (i + 1) + ": " + e.getMessage() + ": '" + line + "'", e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("case journal line " + (i + 1) + ": " + e.getMessage() + ", got '" + line + "'", e);
      }
    }
    return new Progress(deviceName, done, lastStarted);
  }
}
