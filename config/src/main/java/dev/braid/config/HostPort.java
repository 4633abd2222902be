package dev.braid.config;

import java.util.Objects;

/**
 * A network endpoint as a flag or setting gives it, {@code HOST:PORT}: the one parser of that form
 * (a cluster seed, a front door to send load to), so every flag refuses a bad one alike. The port
 * follows the last colon, so an IPv6 literal in brackets ({@code [::1]:8001}) keeps its own colons.
 *
 * @param host a host name or address, not empty
 * @param port in 1..65535
 */
public record HostPort(String host, int port) {
  public HostPort {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be in 1..65535, got " + port);
    }
  }

  /**
   * Parses {@code text} given to {@code flag}; an IllegalArgumentException naming the flag, the
   * form expected and the text when there is no host before the last colon, or no port in
   * 1..65535 after it.
   */
  public static HostPort parse(String flag, String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(flag + ": expected HOST:PORT (e.g. 10.0.0.5:25520), got '" + text + "'");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(flag + ": expected a port in 1..65535 after the colon, got '" + text + "'");
    }
    return new HostPort(text.substring(0, colon), port);
  }

  /** {@code HOST:PORT}, as it was given. */
  @Override
  public String toString() {
    return host + ":" + port;
  }
}
