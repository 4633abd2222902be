package dev.braid.coordinator.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * {@code --host} and {@code --port} of a command that talks to a running Braid over gRPC, the
 * channel to it, and how its failures read: an unreachable server, a refusal, a bad argument.
 */
final class ServerOptions {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  @Option(names = "--host", description = "Server host (default: ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(names = "--port", description = "Server gRPC port (default: ${DEFAULT-VALUE}).")
  int port = 8001;

  /** host:port, as messages show it. */
  String where() {
    return host + ":" + port;
  }

  /** A plaintext channel to the server; the caller shuts it down. */
  ManagedChannel open() {
    checkAddress();
    return ManagedChannelBuilder.forAddress(host, port).usePlaintext().build();
  }

  /** A channel to the server with {@code security}'s TLS and token; the caller shuts it down. */
  ManagedChannel open(ClientSecurityOptions security) throws java.io.IOException {
    checkAddress();
    return security.open(host, port, 4 << 20);
  }

  private void checkAddress() {
    checkAddress(host, port);
  }

  /**
   * Refuses a port outside 1..65535 or a blank host before a channel is built: grpc-java takes
   * port -1 for its default (80) and fails a port over 65535 only in a background thread.
   */
  static void checkAddress(String host, int port) {
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("--port: expected an integer in 1..65535, got " + port);
    }
    if (host.isBlank()) {
      throw new IllegalArgumentException("--host: expected a host name or address, got '" + host + "'");
    }
  }

  static void close(ManagedChannel channel) throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /**
   * Prints one line for a failed call on {@code err} and returns the exit code: 2 when the
   * server found an argument invalid, 1 otherwise (unreachable, refused, timed out).
   */
  int fail(String command, StatusRuntimeException e, PrintWriter err) {
    Status s = e.getStatus();
    // A status the server sent carries no cause; one the transport made (connection refused,
    // unknown host) does.
    if (s.getCode() == Status.Code.UNAVAILABLE && s.getCause() != null) {
      err.println("braid " + command + ": cannot reach braid at " + where() + ": " + describe(s));
      return 1;
    }
    if (s.getCode() == Status.Code.INVALID_ARGUMENT) {
      err.println("braid " + command + ": error: " + s.getDescription());
      return BraidCli.EXIT_USAGE;
    }
    err.println("braid " + command + ": " + describe(s));
    return 1;
  }

  static String describe(Status s) {
    String text = s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
    return s.getCause() == null ? text : text + " (" + s.getCause().getMessage() + ")";
  }

  /**
   * A duration flag's value: a whole number of milliseconds, seconds, minutes or hours
   * ("500ms", "120s", "2m", "1h"), more than zero.
   */
  static Duration duration(String flag, String text) {
    Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
      if (!d.isZero()) {
        return d;
      }
    }
    throw new IllegalArgumentException(flag + ": expected a duration > 0 such as 500ms, 120s or 2m, got '" + text + "'");
  }
}
