package dev.braid.bench.faults.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A tiny agent run inside a lab's namespace by {@link NetLabTest}: it accepts TCP connections on
 * the port given as its argument (and closes them at once), prints {@code listening}, then answers
 * each stdin line {@code HOST PORT} with {@code ok} when a TCP connection to it opens within the
 * time limit, or {@code fail REASON}. One JVM per namespace serves every probe of a test.
 */
public final class NetProbe {
  /** Long enough for a SYN and its answer on a loaded host; a dropped SYN takes all of it. */
  private static final int CONNECT_TIMEOUT_MS = 1500;

  private NetProbe() {}

  public static void main(String[] args) throws IOException {
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(Integer.parseInt(args[0])));
    Thread acceptor = new Thread(() -> {
      while (true) {
        try (Socket s = server.accept()) {
          // connection opened: that is all a probe asks
        } catch (IOException e) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
    System.out.println("listening");
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String[] hostPort = line.trim().split(" ");
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), CONNECT_TIMEOUT_MS);
        System.out.println("ok");
      } catch (IOException e) {
        System.out.println("fail " + e);
      }
      System.out.flush();
    }
  }
}
