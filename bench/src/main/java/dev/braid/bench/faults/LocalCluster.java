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
import java.nio.file.Files;
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

  /**
   * One Braid JVM of this cluster: all of it is {@link ClusterNode}; this name is kept because the
   * scenarios import {@code LocalCluster.Node}.
   */
  public static final class Node extends ClusterNode {
    Node(String name, Set<Role> roles, String host, int clusterPort, Process process, Path log, Path events) {
      super(name, roles, host, clusterPort, process, log, events);
    }
  }
}
