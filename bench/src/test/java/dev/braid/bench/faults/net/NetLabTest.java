package dev.braid.bench.faults.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real namespaces, real TCP: three nodes each run a {@link NetProbe}; the test asks each to open
 * connections to the others and to the root namespace, before, during and after a partition of
 * {n1, n2} against {n3}. Skipped with one line where this host cannot make namespaces (not root).
 */
class NetLabTest {
  private static final int PROBE_PORT = 7070;

  private final Map<String, Probe> probes = new LinkedHashMap<>();
  private NetLab lab;
  private ServerSocket rootListener;

  /** One NetProbe JVM in a node's namespace, driven over its stdin and stdout. */
  private record Probe(Process process, Writer in, BufferedReader out) {
    boolean reaches(String host, int port) throws IOException {
      in.write(host + " " + port + "\n");
      in.flush();
      String answer = out.readLine();
      if (answer == null) {
        throw new IOException("probe ended: " + (process.isAlive() ? "stdout closed" : "exit " + process.exitValue()));
      }
      return answer.equals("ok");
    }
  }

  @BeforeEach
  void requireNamespaces() {
    assumeTrue(NetLab.unavailableReason().isEmpty(), () -> "skipped: " + NetLab.unavailableReason().orElse(""));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Probe p : probes.values()) {
      p.process().destroyForcibly();
    }
    if (lab != null) {
      lab.close();
    }
    if (rootListener != null) {
      rootListener.close();
    }
  }

  private Probe startProbe(String node) throws Exception {
    Path classes = Path.of(NetProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> java = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx32m",
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classes.toString(), NetProbe.class.getName(),
        String.valueOf(PROBE_PORT));
    Process p = new ProcessBuilder(lab.command(node, java)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Probe probe = new Probe(p, new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8),
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
    assertEquals("listening", probe.out().readLine(), "probe in " + node);
    probes.put(node, probe);
    return probe;
  }

  private static boolean rootReaches(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 1500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** "from->to" for every pair and for the root namespace ("root") both ways, reachable or not. */
  private Map<String, Boolean> reachability() throws IOException {
    Map<String, Boolean> m = new LinkedHashMap<>();
    for (Map.Entry<String, Probe> from : probes.entrySet()) {
      for (String to : probes.keySet()) {
        m.put(from.getKey() + "->" + to, from.getValue().reaches(lab.host(to), PROBE_PORT));
      }
      m.put(from.getKey() + "->root", from.getValue().reaches(lab.rootAddress(), rootListener.getLocalPort()));
      m.put("root->" + from.getKey(), rootReaches(lab.host(from.getKey()), PROBE_PORT));
    }
    return m;
  }

  @Test
  void aPartitionCutsEveryPathBetweenTheSidesAndHealRestoresThem() throws Exception {
    lab = NetLab.create();
    rootListener = new ServerSocket();
    rootListener.bind(new InetSocketAddress(lab.rootAddress(), 0));
    Thread acceptor = new Thread(() -> {
      while (true) {
        try (Socket s = rootListener.accept()) {
          // opened: enough
        } catch (IOException e) {
          return;
        }
      }
    });
    acceptor.setDaemon(true);
    acceptor.start();
    for (String n : List.of("n1", "n2", "n3")) {
      lab.addNode(n);
      startProbe(n);
    }
    assertEquals(3, Set.of(lab.host("n1"), lab.host("n2"), lab.host("n3")).size());

    Map<String, Boolean> before = reachability();
    assertFalse(before.containsValue(false), "before the partition every path is open: " + before);

    lab.partition(Set.of("n1", "n2"), Set.of("n3"));
    assertEquals(Set.of("n3"), lab.cutOff());
    Map<String, Boolean> during = reachability();
    Map<String, Boolean> expected = new LinkedHashMap<>(before);
    for (String cut : List.of("n1->n3", "n3->n1", "n2->n3", "n3->n2")) {
      expected.put(cut, false);
    }
    assertEquals(expected, during, "during the partition only paths between the sides are cut");

    lab.heal();
    assertTrue(lab.cutOff().isEmpty());
    Map<String, Boolean> after = reachability();
    assertFalse(after.containsValue(false), "after heal every path is open again: " + after);

    String ns = lab.namespace("n1");
    lab.close();
    // close() SIGKILLs what still runs in its namespaces and removes every name it made.
    for (Probe p : probes.values()) {
      assertTrue(p.process().waitFor(10, TimeUnit.SECONDS), "probe still running after close");
    }
    String prefix = ns.substring(0, ns.length() - "n1".length());
    List<String> left = new ArrayList<>();
    LabCleanup.namespaceNames().stream().filter(s -> s.startsWith(prefix)).forEach(left::add);
    LabCleanup.linkNames().stream().filter(s -> s.startsWith(prefix)).forEach(left::add);
    assertEquals(List.of(), left, "nothing of the lab is left after close");
  }

  @Test
  void partitionsNamingUnknownOrSharedNodesAreRefused() throws Exception {
    lab = NetLab.create();
    lab.addNode("n1");
    lab.addNode("n2");
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> lab.partition(Set.of("n1"), Set.of("n9")));
    assertTrue(unknown.getMessage().contains("n9"), unknown.getMessage());
    IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
        () -> lab.partition(Set.of("n1", "n2"), Set.of("n2")));
    assertTrue(both.getMessage().contains("n2"), both.getMessage());
    assertTrue(lab.cutOff().isEmpty());
  }

  @Test
  void aCrashedRunsLabIsRemovedByTheNextOne() throws Exception {
    long deadPid = deadPid();
    LabNames crashed = new LabNames(deadPid, 0);
    String ns = crashed.namespace("n1");
    IpCommand.ip("netns", "add", ns);
    IpCommand.ip("link", "add", crashed.mainBridge(), "type", "bridge");
    try {
      lab = NetLab.create();
      assertFalse(LabCleanup.namespaceNames().contains(ns), "the dead run's namespace is gone");
      assertFalse(LabCleanup.linkNames().contains(crashed.mainBridge()), "the dead run's bridge is gone");
    } finally {
      IpCommand.ipQuietly("netns", "del", ns);
      IpCommand.ipQuietly("link", "del", crashed.mainBridge());
    }
  }

  /** A pid no process has now. */
  private static long deadPid() {
    for (long pid = 4_000_000; ; pid--) {
      if (ProcessHandle.of(pid).isEmpty()) {
        return pid;
      }
    }
  }
}
