package dev.braid.bench.gpucheck;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs the kernel cases {@code [from, to)} in child processes so that a fault in one case cannot
 * poison the rest: a sticky CUDA error (illegal address, launch failure) leaves the context
 * unusable for the life of the process, so every later case in that process would fail with it.
 *
 * <p>The loop: start a child on the cases not yet run; it appends to a {@link CaseJournal} as it
 * goes. When it exits 0 the range is done. When it dies, or goes {@code caseTimeout} without a
 * journal event (hung, then killed), the case it started and did not finish is recorded as faulted
 * and a fresh child starts from the next case. A child that saw an error from the device under
 * test exits on its own after recording that case ({@link KernelsCommand#RESTART_EXIT_CODE}), and
 * a fresh child goes on from the next. A child that exits before starting any case ends the loop,
 * the remaining cases failed with its exit code, so a device that cannot open costs one process,
 * not one per case.
 */
final class IsolatedKernels {
  /** Starts a child process over cases {@code [from, to)} that writes {@code journal}. */
  interface ChildLauncher {
    Process start(int from, int to, Path journal) throws IOException;
  }

  /** A case whose process died, hung or reported a device error; later cases ran in a fresh process. */
  record Fault(int index, String why) {}

  /** The device's name as a child reported it (null if none opened it), every finished case by index, the faults in order, and how many processes ran. */
  record Result(String deviceName, TreeMap<Integer, CaseJournal.Done> done, List<Fault> faults, int processes) {}

  /** How long a child is killed after a polite {@code destroy()} it ignores. */
  private static final Duration KILL_GRACE = Duration.ofSeconds(5);

  private final ChildLauncher launcher;
  private final Duration caseTimeout;
  private final Duration poll;
  private final PrintWriter log;

  IsolatedKernels(ChildLauncher launcher, Duration caseTimeout, Duration poll, PrintWriter log) {
    if (caseTimeout.isNegative() || caseTimeout.isZero()) {
      throw new IllegalArgumentException("case timeout: expected a positive duration, got " + caseTimeout);
    }
    this.launcher = launcher;
    this.caseTimeout = caseTimeout;
    this.poll = poll;
    this.log = log;
  }

  Result run(int from, int to, Path dir) throws IOException, InterruptedException {
    TreeMap<Integer, CaseJournal.Done> done = new TreeMap<>();
    List<Fault> faults = new ArrayList<>();
    int processes = 0;
    String deviceName = null;
    while (from < to) {
      processes++;
      Path journal = dir.resolve("journal-" + processes + ".tsv");
      Files.deleteIfExists(journal);
      Process p = launcher.start(from, to, journal);
      boolean hung = watch(p, journal);
      int code = p.exitValue();
      CaseJournal.Progress progress = CaseJournal.parse(read(journal));
      progress.done().forEach(d -> done.put(d.index(), d));
      if (progress.deviceName() != null) {
        deviceName = progress.deviceName();
      }
      int unfinished = progress.unfinished();
      int lastDone = progress.done().stream().mapToInt(CaseJournal.Done::index).max().orElse(-1);
      if (unfinished >= 0) {
        String why = hung
            ? String.format(Locale.ROOT, "hung: no progress for %d s, the process was killed", caseTimeout.toSeconds())
            : "the process died (exit code " + code + ") while running this case";
        faults.add(new Fault(unfinished, why));
        log.printf(Locale.ROOT, "  case %d faulted: %s; going on from case %d in a fresh process%n", unfinished, why,
            unfinished + 1);
        from = unfinished + 1;
      } else if (code == 0 && lastDone == to - 1) {
        from = to;
      } else if (lastDone >= from) {
        CaseJournal.Done last = done.get(lastDone);
        if (last.deviceError()) {
          faults.add(new Fault(lastDone, "the device under test failed: " + last.failure()));
        }
        log.printf(Locale.ROOT, "  process %d stopped after case %d (exit code %d); going on from case %d in a fresh"
            + " process%n", processes, lastDone, code, lastDone + 1);
        from = lastDone + 1;
      } else {
        String why = hung
            ? String.format(Locale.ROOT, "not run: the process made no progress for %d s before its first case and was"
                + " killed", caseTimeout.toSeconds())
            : "not run: the process exited (code " + code + ") before its first case";
        for (int i = from; i < to; i++) {
          faults.add(new Fault(i, why));
        }
        log.printf(Locale.ROOT, "  %s; cases %d to %d not run%n", why, from, to - 1);
        break;
      }
      log.flush();
    }
    return new Result(deviceName, done, faults, processes);
  }

  /** Waits for {@code p} to exit; kills it and returns true if its journal goes {@code caseTimeout} without growing. */
  private boolean watch(Process p, Path journal) throws IOException, InterruptedException {
    long lastSize = -1;
    long lastChange = System.nanoTime();
    while (!p.waitFor(poll.toMillis(), TimeUnit.MILLISECONDS)) {
      long size = Files.exists(journal) ? Files.size(journal) : 0;
      long now = System.nanoTime();
      if (size != lastSize) {
        lastSize = size;
        lastChange = now;
      } else if (now - lastChange > caseTimeout.toNanos()) {
        p.destroy();
        if (!p.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          p.waitFor();
        }
        return true;
      }
    }
    return false;
  }

  private static String read(Path journal) throws IOException {
    return Files.exists(journal) ? Files.readString(journal, StandardCharsets.UTF_8) : "";
  }
}
