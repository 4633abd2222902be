package dev.braid.bench.faults.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the host's network tools ({@code ip}, {@code kill}) as child processes and turns a failure
 * into an exception that names the command, its exit status and what it printed. Every call has a
 * time limit: a tool that hangs (a namespace busy being torn down) must not hang a test.
 */
final class IpCommand {
  /** Generous for one {@code ip} call; they normally take a few milliseconds. */
  private static final Duration LIMIT = Duration.ofSeconds(20);

  private IpCommand() {}

  /** What a finished command printed, and how it ended. */
  record Result(List<String> command, int exitStatus, String stdout, String stderr) {
    boolean ok() {
      return exitStatus == 0;
    }

    /** This result, or an exception naming the command, the status and its error output. */
    Result orThrow() throws IOException {
      if (!ok()) {
        throw new IOException("`" + String.join(" ", command) + "` exited with " + exitStatus + ": "
            + (stderr.isBlank() ? stdout.strip() : stderr.strip()));
      }
      return this;
    }
  }

  /** Runs {@code command} to its end; a command that cannot be started reports exit status 127. */
  static Result run(List<String> command) throws IOException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
    } catch (IOException e) {
      return new Result(List.copyOf(command), 127, "", String.valueOf(e.getMessage()));
    }
    // Both streams drained on threads of their own: a tool that fills one pipe must not stall.
    StreamReader out = new StreamReader(p.getInputStream());
    StreamReader err = new StreamReader(p.getErrorStream());
    out.start();
    err.start();
    try {
      if (!p.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("`" + String.join(" ", command) + "` did not finish within " + LIMIT);
      }
      out.join(LIMIT.toMillis());
      err.join(LIMIT.toMillis());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running `" + String.join(" ", command) + "`", e);
    }
    return new Result(List.copyOf(command), p.exitValue(), out.text(), err.text());
  }

  /** Runs {@code ip args...}, throwing when it fails. */
  static Result ip(String... args) throws IOException {
    return run(withIp(args)).orThrow();
  }

  /** Runs {@code ip args...}, returning the result whatever the status (for clean-ups). */
  static Result ipQuietly(String... args) throws IOException {
    return run(withIp(args));
  }

  private static List<String> withIp(String... args) {
    List<String> cmd = new ArrayList<>(args.length + 1);
    cmd.add("ip");
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static final class StreamReader extends Thread {
    private final InputStream in;
    private volatile String text = "";

    StreamReader(InputStream in) {
      this.in = in;
      setDaemon(true);
    }

    @Override
    public void run() {
      try {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        text = "(unreadable: " + e.getMessage() + ")";
      }
    }

    String text() {
      return text;
    }
  }
}
