package dev.braid.bench.faults;

import dev.braid.bench.faults.LocalCluster.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Braid JVM that a {@link LocalCluster} started: its name, roles and addresses, its process
 * (signals: SIGKILL, SIGSTOP and SIGCONT, SIGTERM; its heap through {@code jcmd}), its log and its
 * event stream, and waiting on what it prints and records. Kept in a file of its own because it is
 * a concept of its own: the cluster starts nodes and asks the cluster; a node is one process.
 * Sealed: the cluster's {@link LocalCluster.Node} is the only kind.
 */
public abstract sealed class ClusterNode permits LocalCluster.Node {
  private static final Pattern SERVING = Pattern.compile("serving gRPC on :(\\d+)|serving as \\S+ node (\\S+)");
  private static final Pattern METRICS = Pattern.compile("metrics on :(\\d+)/metrics");

  // Package-private: LocalCluster reads them as it did when this class was nested in it.
  final String name;
  final Set<Role> roles;
  final String host;
  private final int clusterPort;
  final Process process;
  private final Path log;
  private final Path events;
  volatile int grpcPort = -1;
  private volatile int metricsPort = -1;
  volatile boolean paused;

  ClusterNode(String name, Set<Role> roles, String host, int clusterPort, Process process, Path log, Path events) {
    this.name = name;
    this.roles = Set.copyOf(roles);
    this.host = host;
    this.clusterPort = clusterPort;
    this.process = process;
    this.log = log;
    this.events = events;
  }

  public String name() {
    return name;
  }

  public Set<Role> roles() {
    return roles;
  }

  public String host() {
    return host;
  }

  /** The node's cluster member as the event stream names it: host:port. */
  public String member() {
    return host + ":" + clusterPort;
  }

  /** The node's cluster address as the admin service names it: pekko://braid@host:port. */
  public String address() {
    return "pekko://braid@" + member();
  }

  /** The gRPC port of a frontend, once it serves; -1 otherwise. */
  public int grpcPort() {
    return grpcPort;
  }

  /** The Prometheus port, once the node serves; -1 otherwise. */
  public int metricsPort() {
    return metricsPort;
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public boolean isPaused() {
    return paused;
  }

  public Path logFile() {
    return log;
  }

  public Path eventsFile() {
    return events;
  }

  public String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Waits until the node prints that it serves; reads its gRPC and metrics ports. */
  public void awaitServing(Duration timeout) throws InterruptedException {
    Matcher m = awaitLog(SERVING, timeout);
    if (m.group(1) != null) {
      grpcPort = Integer.parseInt(m.group(1));
    }
    Matcher metrics = METRICS.matcher(logText());
    if (metrics.find()) {
      metricsPort = Integer.parseInt(metrics.group(1));
    }
  }

  /** The first match of {@code pattern} in the log, waiting up to {@code timeout}; fails if the node exits first. */
  public Matcher awaitLog(Pattern pattern, Duration timeout) throws InterruptedException {
    long giveUp = System.nanoTime() + timeout.toNanos();
    while (true) {
      String text = logText();
      Matcher m = pattern.matcher(text);
      if (m.find()) {
        return m;
      }
      if (!process.isAlive()) {
        throw new AssertionError("node " + name + " exited with " + process.exitValue() + " before printing "
            + pattern + ":\n" + text);
      }
      if (System.nanoTime() >= giveUp) {
        throw new AssertionError("node " + name + " did not print " + pattern + " within " + timeout + ":\n" + text);
      }
      Thread.sleep(100);
    }
  }

  /** The node's events so far; fails clearly when it writes none (a Braid without an event stream). */
  public List<NodeEvent> events() throws IOException {
    return NodeEvent.read(events);
  }

  /** The node's events so far, or none when it has no event file yet. */
  public List<NodeEvent> eventsOrNone() {
    try {
      return NodeEvent.read(events);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new IllegalStateException("node " + name + ": cannot read " + events + ": " + e, e);
    }
  }

  /** The first event matching {@code which}, waiting up to {@code timeout}. */
  public NodeEvent awaitEvent(String what, Predicate<NodeEvent> which, Duration timeout)
      throws InterruptedException, IOException {
    long giveUp = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (Files.exists(events)) {
        for (NodeEvent e : events()) {
          if (which.test(e)) {
            return e;
          }
        }
      }
      if (System.nanoTime() >= giveUp) {
        if (!Files.exists(events)) {
          throw new AssertionError("node " + name + " wrote no event file " + events + " (this Braid has no "
              + "braid.events.file stream), so '" + what + "' cannot be checked");
        }
        throw new AssertionError("node " + name + ": no event '" + what + "' within " + timeout);
      }
      Thread.sleep(100);
    }
  }

  /** SIGKILL: the node dies at once, without a word to the cluster. */
  public void kill() throws InterruptedException {
    if (paused) {
      signal("CONT");
      paused = false;
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGSTOP: the node's every thread stops; it sends no heartbeat and answers nothing. */
  public void pause() {
    signal("STOP");
    paused = true;
  }

  /** SIGCONT after {@link #pause}. */
  public void resume() {
    signal("CONT");
    paused = false;
  }

  /** SIGTERM: the node leaves gracefully (drains, leaves the cluster, prints "stopped"). */
  public void leave() {
    process.destroy();
  }

  /** Whether the process exited within {@code timeout}. */
  public boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Bytes of Java heap in use right after a full collection, as {@code jcmd PID GC.run} then
   * {@code GC.heap_info} report it (the sum of the generations' "used").
   */
  public long heapAfterGcBytes() throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    run(jcmd.toString(), String.valueOf(pid()), "GC.run");
    String info = run(jcmd.toString(), String.valueOf(pid()), "GC.heap_info");
    Matcher m = Pattern.compile("(?m)^\\s*(?:def new generation|tenured generation|garbage-first heap|PSYoungGen|"
        + "ParOldGen)\\s+total \\d+K, used (\\d+)K").matcher(info);
    long usedK = 0;
    int found = 0;
    while (m.find()) {
      usedK += Long.parseLong(m.group(1));
      found++;
    }
    if (found == 0) {
      throw new IOException("node " + name + ": jcmd GC.heap_info printed no generation sizes:\n" + info);
    }
    return usedK * 1024;
  }

  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }

  void signal(String sig) {
    List<String> cmd = new ArrayList<>(List.of("kill", "-" + sig, String.valueOf(process.pid())));
    process.descendants().forEach(h -> cmd.add(String.valueOf(h.pid())));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0 && process.isAlive()) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling node " + name, e);
    }
  }

  @Override
  public String toString() {
    return name + roles + "@" + member();
  }
}
