package dev.braid.coordinator.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * The listening ports of {@code braid serve}, checked before the node starts: a port another
 * process holds, or one port given to two servers, is refused in one line naming the flag. Found
 * by hand: such a serve started the whole node, then failed after seconds with a bare {@code
 * BindException: Address already in use} (exit 1) that named neither port nor flag. The check
 * cannot rule out a process taking the port between it and the bind; then the bind fails as before.
 */
final class PortCheck {
  private PortCheck() {}

  /** Nothing when {@code port} is 0 (any free port) or negative (off), or can be bound on {@code host}. */
  static void requireFree(String flag, String host, int port) {
    if (port <= 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new IllegalArgumentException(flag + ": expected a free port (or 0 for any free port), but " + host + ":"
          + port + " cannot be bound: " + e.getMessage());
    }
  }

  /** Refuses {@code port} when it is the same fixed port as {@code otherPort}, which {@code otherFlag} gives. */
  static void requireDistinct(String flag, int port, String otherFlag, int otherPort) {
    if (port > 0 && port == otherPort) {
      throw new IllegalArgumentException(flag + ": expected a port other than " + otherFlag + "'s, got " + port
          + " for both");
    }
  }
}
