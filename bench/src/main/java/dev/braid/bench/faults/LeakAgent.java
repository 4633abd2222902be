package dev.braid.bench.faults;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A deliberate leak for the soak scenario's control run: a Java agent that makes a node's JVM hold
 * a fixed number of bytes more every second, forever, the way a cache without eviction would. The
 * soak's heap check must flag this node; if it did not, a flat reading would prove nothing.
 *
 * <p>Loaded with {@code -javaagent:leak-agent.jar=BYTES_PER_SECOND}: the jar holds only a manifest
 * naming this class, which the node finds on its classpath (the harness's own).
 */
public final class LeakAgent {
  private static final List<byte[]> HELD = new ArrayList<>();

  private LeakAgent() {}

  /** The agent's entry point: starts the leaking thread. */
  public static void premain(String args) {
    long perSecond = Long.parseLong(args.strip());
    Thread t = new Thread(() -> {
      while (true) {
        synchronized (HELD) {
          HELD.add(new byte[(int) perSecond]);
        }
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "deliberate-leak");
    t.setDaemon(true);
    t.start();
  }

  /** The JVM arguments that load the agent, leaking {@code bytesPerSecond}; writes the agent jar into {@code dir}. */
  public static List<String> jvmArgs(Path dir, int bytesPerSecond) throws IOException {
    Path jar = dir.resolve("leak-agent.jar");
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(new Attributes.Name("Premain-Class"), LeakAgent.class.getName());
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
      j.flush();
    }
    return List.of("-javaagent:" + jar + "=" + bytesPerSecond);
  }
}
