package dev.braid.bench.faults;

import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.admin.ClusterStatusResponse;
import dev.braid.protocol.admin.DrainNodeRequest;
import dev.braid.protocol.admin.DrainNodeResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real Braid cluster on this machine: one {@code braid serve} JVM per node, joined over Artery,
 * each with its own log and event stream ({@code -Dbraid.events.file}), started through a {@link
 * NodeLauncher}. The harness kills nodes (SIGKILL), pauses them (SIGSTOP, SIGCONT), lets them leave
 * (SIGTERM) and drains them through the admin service, and waits on what the nodes print and
 * record.
 *
 * <p>The JVMs run the classpath of the JVM that builds the cluster ({@code java.class.path}), so
 * the same code serves tests and {@code braid bench faults}. They are small (a heap of {@link
 * Settings#heapMiB}, one compute thread, serial GC, C1 only) because several share two cores with
 * their clients, and their failure detection is fast: a node is unreachable after {@link
 * #ACCEPTABLE_HEARTBEAT_PAUSE} without heartbeats and downed {@link #STABLE_AFTER} later.
 */
public final class LocalCluster implements AutoCloseable {
  /** Heartbeats may stop this long before a node is marked unreachable (Pekko's default is 3 s). */
  public static final Duration ACCEPTABLE_HEARTBEAT_PAUSE = Duration.ofSeconds(4);

  /** How long the split-brain resolver waits on a stable unreachable set before it downs. */
  public static final Duration STABLE_AFTER = Duration.ofSeconds(3);

  /** What a node does; the names of {@code braid serve --role}. */
  public enum Role {
    FRONTEND, COORDINATOR, GPU;

    String flag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * How the nodes are started.
   *
   * @param dir where logs, event files and argument files go
   * @param repo the model repository every node serves
   * @param heapMiB each JVM's -Xmx
   * @param jvmProps extra -D properties for every node (placement knobs, timeouts)
   * @param launcher where and how each node runs
   * @param startTimeout how long a node may take to print that it serves
   */
  public record Settings(Path dir, Path repo, int heapMiB, List<String> jvmProps, NodeLauncher launcher,
      Duration startTimeout) {
    public Settings {
      Objects.requireNonNull(dir, "dir");
      Objects.requireNonNull(repo, "repo");
      jvmProps = List.copyOf(jvmProps);
      Objects.requireNonNull(launcher, "launcher");
      if (heapMiB < 32) {
        throw new IllegalArgumentException("heapMiB: expected >= 32, got " + heapMiB);
      }
    }

    /** Nodes on loopback with 96 MiB heaps and two minutes to start (the cores are shared). */
    public static Settings local(Path dir, Path repo) {
      return new Settings(dir, repo, 96, List.of(), NodeLauncher.LOCAL, Duration.ofMinutes(2));
    }

    public Settings withJvmProps(List<String> props) {
      List<String> all = new ArrayList<>(jvmProps);
      all.addAll(props);
      return new Settings(dir, repo, heapMiB, all, launcher, startTimeout);
    }

    public Settings withHeapMiB(int mib) {
      return new Settings(dir, repo, mib, jvmProps, launcher, startTimeout);
    }

    public Settings withLauncher(NodeLauncher l) {
      return new Settings(dir, repo, heapMiB, jvmProps, l, startTimeout);
    }
  }

  private static final Pattern SERVING = Pattern.compile("serving gRPC on :(\\d+)|serving as \\S+ node (\\S+)");
  private static final Pattern METRICS = Pattern.compile("metrics on :(\\d+)/metrics");

  private final Settings settings;
  private final List<Node> nodes = new CopyOnWriteArrayList<>();
  private final Map<Node, ManagedChannel> channels = new ConcurrentHashMap<>();

  /** Kills the nodes if the harness's JVM stops first (Ctrl-C on braid bench faults): no node outlives it. */
  private final Thread reaper = new Thread(this::killAll, "local-cluster-reaper");

  public LocalCluster(Settings settings) throws IOException {
    this.settings = settings;
    Files.createDirectories(settings.dir());
    Runtime.getRuntime().addShutdownHook(reaper);
  }

  public Settings settings() {
    return settings;
  }

  /** Every node started, in start order, dead ones included. */
  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /** The started nodes whose process is alive (paused ones included). */
  public List<Node> alive() {
    return nodes.stream().filter(n -> n.process.isAlive()).toList();
  }

  /** The live nodes with a frontend that serves. */
  public List<Node> frontends() {
    return alive().stream().filter(n -> n.roles.contains(Role.FRONTEND) && n.grpcPort > 0 && !n.paused).toList();
  }

  /** The node called {@code name}. */
  public Node node(String name) {
    return nodes.stream().filter(n -> n.name.equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no node '" + name + "' in " + names()));
  }

  private List<String> names() {
    return nodes.stream().map(n -> n.name).toList();
  }

  /**
   * Starts a node and returns at once; {@link Node#awaitServing} waits for it. Its seeds are the
   * live coordinator-capable nodes started before it (all live nodes when there are none), so a
   * node still joins after the first seed died; the first node starts a cluster of its own.
   */
  public Node launch(String name, Set<Role> roles, List<String> jvmProps) throws IOException {
    if (nodes.stream().anyMatch(n -> n.name.equals(name))) {
      throw new IllegalArgumentException("node '" + name + "' was already started");
    }
    String host = settings.launcher().host(name);
    int clusterPort = freePort();
    List<Node> live = alive().stream().filter(n -> !n.paused).toList();
    List<String> seeds = live.stream().filter(n -> n.roles.contains(Role.COORDINATOR)).map(Node::member).toList();
    if (seeds.isEmpty()) {
      seeds = live.stream().map(Node::member).toList();
    }
    Path argfile = settings.dir().resolve(name + ".args");
    // An argument file keeps the long classpath off the command line.
    Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
    Path events = settings.dir().resolve(name + ".events.jsonl");
    Files.deleteIfExists(events);
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + settings.heapMiB() + "m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-XX:CICompilerCount=1",
        "-Dbraid.events.file=" + events,
        // Pekko waits 5 s for its logger; JVMs starting together on busy shared cores took longer.
        "-Dpekko.logger-startup-timeout=30s",
        "-Dbraid.coordinator.report-interval=250ms",
        "-Dbraid.coordinator.rate-half-life=1s",
        "-Dbraid.coordinator.placement.reserve-per-gpu=4MiB",
        "-Dpekko.cluster.split-brain-resolver.stable-after=" + STABLE_AFTER.toMillis() + "ms",
        "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=" + ACCEPTABLE_HEARTBEAT_PAUSE.toMillis() + "ms"));
    cmd.addAll(settings.jvmProps());
    cmd.addAll(jvmProps);
    cmd.add("@" + argfile);
    cmd.add("dev.braid.coordinator.cli.BraidCli");
    cmd.add("serve");
    cmd.addAll(List.of("--repo", settings.repo().toString(), "--cluster-host", host,
        "--cluster-port", String.valueOf(clusterPort), "--device", "cpu", "--threads", "1",
        "--metrics-port", "0", // several nodes on one host: the default port would be taken
        "--role", roles.stream().map(Role::flag).collect(Collectors.joining(","))));
    if (roles.contains(Role.FRONTEND)) {
      cmd.addAll(List.of("--grpc-port", "0", "--http-port", "0"));
    }
    for (String s : seeds) {
      cmd.addAll(List.of("--seed", s));
    }
    Path log = settings.dir().resolve(name + ".log");
    Process p = new ProcessBuilder(settings.launcher().command(name, cmd)).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    Node node = new Node(name, EnumSet.copyOf(roles), host, clusterPort, p, log, events);
    nodes.add(node);
    return node;
  }

  /** {@link #launch} and {@link Node#awaitServing}. */
  public Node start(String name, Set<Role> roles, String... jvmProps) throws IOException, InterruptedException {
    Node n = launch(name, roles, List.of(jvmProps));
    n.awaitServing(settings.startTimeout());
    return n;
  }

  /** The cluster as a live frontend's admin service reports it. */
  public ClusterStatusResponse status() {
    return admin().withDeadlineAfter(5, TimeUnit.SECONDS).clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }

  /** The GPU ids serving {@code model}, or none when no frontend answers. */
  public List<String> replicas(String model) {
    return status().getModelsList().stream().filter(m -> m.getName().equals(model)).findFirst()
        .map(m -> List.copyOf(m.getReplicaGpuIdsList())).orElse(List.of());
  }

  /** As {@code braid drain}: drains {@code node} through a frontend's admin service and waits for the answer. */
  public DrainNodeResponse drain(Node node, Duration timeout) {
    return admin().withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .drainNode(DrainNodeRequest.newBuilder().setNodeAddress(node.address()).build());
  }

  private BraidAdminGrpc.BraidAdminBlockingStub admin() {
    List<Node> f = frontends();
    if (f.isEmpty()) {
      throw new IllegalStateException("no live frontend among " + names());
    }
    return BraidAdminGrpc.newBlockingStub(channel(f.get(0)));
  }

  /** A plaintext channel to {@code frontend}'s gRPC port, shared and closed with the cluster. */
  public ManagedChannel channel(Node frontend) {
    if (frontend.grpcPort <= 0) {
      throw new IllegalArgumentException("node " + frontend.name + " serves no gRPC (roles " + frontend.roles + ")");
    }
    return channels.computeIfAbsent(frontend, n -> NettyChannelBuilder.forAddress(n.host, n.grpcPort).usePlaintext()
        .maxInboundMessageSize(64 << 20).build());
  }

  /**
   * Waits until {@code condition} holds, asking every 100 ms (an admin call that fails counts as
   * not yet); fails with the nodes' log tails when it does not within {@code timeout}.
   */
  public void awaitTrue(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long giveUp = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < giveUp) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (StatusRuntimeException | IllegalStateException e) {
        // no frontend yet, or the admin call failed while nodes come and go: ask again
      }
      Thread.sleep(100);
    }
    throw new AssertionError(what + ": not within " + timeout + logTails(4000));
  }

  /** The last {@code chars} characters of every node's log, for failure messages. */
  public String logTails(int chars) {
    StringBuilder b = new StringBuilder();
    for (Node n : nodes) {
      String text = n.logText();
      b.append("\n--- node ").append(n.name).append(' ').append(n.roles).append(n.process.isAlive() ? "" : " (exited)")
          .append(" ---\n").append(text.length() > chars ? text.substring(text.length() - chars) : text);
    }
    return b.toString();
  }

  /** Kills every node still running (resuming paused ones first, so that they die at once). */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException shuttingDown) {
      // the reaper runs now
    }
    for (ManagedChannel c : channels.values()) {
      c.shutdownNow();
    }
    killAll();
  }

  private void killAll() {
    for (Node n : nodes) {
      if (n.paused) {
        n.signal("CONT");
      }
      n.process.descendants().forEach(ProcessHandle::destroyForcibly);
      n.process.destroyForcibly();
    }
    for (Node n : nodes) {
      try {
        n.process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** One Braid JVM: its process, log and event stream. */
  public static final class Node {
    private final String name;
    private final Set<Role> roles;
    private final String host;
    private final int clusterPort;
    private final Process process;
    private final Path log;
    private final Path events;
    private volatile int grpcPort = -1;
    private volatile int metricsPort = -1;
    private volatile boolean paused;

    Node(String name, Set<Role> roles, String host, int clusterPort, Process process, Path log, Path events) {
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
}
