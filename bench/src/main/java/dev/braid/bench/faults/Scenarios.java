package dev.braid.bench.faults;

import dev.braid.bench.faults.LocalCluster.Node;
import dev.braid.bench.faults.LocalCluster.Role;
import dev.braid.protocol.admin.ClusterStatusResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The scenarios of {@code braid bench faults}, by name. Each builds a small cluster on this
 * machine ({@link #standard}): {@code n1} (coordinator and GPU, started first, so the oldest
 * coordinator-capable node, which holds the coordinator singleton), {@code f1} (frontend, and the
 * second coordinator-capable node) and {@code g2} (GPU only); some add a second frontend. The
 * coordinator places a replica of the mlp on each GPU at the harness's modest load.
 */
// The load's clients are resources that run for a try block's length without being named in it.
@SuppressWarnings("try")
public final class Scenarios {
  /** Deadline of the closed-loop clients' requests. */
  static final long DEADLINE_MS = 8000;

  /** Placement that wants a replica on every GPU at a load of a few requests/s, and moves them at small imbalances. */
  static final List<String> PLACEMENT = List.of("-Dbraid.coordinator.placement.target-utilisation=0.002",
      "-Dbraid.coordinator.placement.rebalance-threshold=0.001");

  /** The name left for the partition scenario, which faults-net's package plugs in (it needs network namespaces). */
  public static final String PARTITION = "partition";

  private static final Map<String, Scenario> ALL = new LinkedHashMap<>();

  static {
    add(Scenario.of("kill-gpu", "SIGKILL of a GPU node under load", false, MembershipScenarios::killGpu));
    add(Scenario.of("kill-coordinator", "SIGKILL of the node holding the coordinator singleton under load", false,
        MembershipScenarios::killCoordinator));
    add(Scenario.of("kill-frontend", "SIGKILL of one of two frontends under load", false, MembershipScenarios::killFrontend));
    add(Scenario.of("pause-short", "SIGSTOP of a GPU node for less than the failure detector's allowance, then SIGCONT",
        false, MembershipScenarios::pauseShort));
    add(Scenario.of("pause-long", "SIGSTOP of a GPU node for longer than the downing time, then SIGCONT", false,
        MembershipScenarios::pauseLong));
    add(Scenario.of("leave", "graceful leave (SIGTERM) of a GPU node under load", false, MembershipScenarios::leave));
    add(Scenario.of("drain", "braid drain of a GPU node under load, then SIGTERM", false, MembershipScenarios::drain));
    add(Scenario.of("overload", "open loop at 3x the sustainable rate, one GPU node", false, LoadScenarios::overload));
    add(Scenario.of("cancel", "clients cancelling calls and sending deadlines too short to meet, beside normal load",
        false, LoadScenarios::cancel));
    add(Scenario.of("churn", "50 cycles of a GPU node joining, taking a replica, draining and leaving, under load",
        true, LoadScenarios::churn));
    add(Scenario.of("soak", "steady load for --duration; heap after GC of every node sampled, beside a node"
        + " leaking on purpose that the same check must flag", true, LoadScenarios::soak));
    // Scenarios of other packages (the partition scenario of dev.braid.bench.faults.net) register
    // as services: META-INF/services/dev.braid.bench.faults.Scenario naming a public class with a
    // no-argument constructor.
    for (Scenario s : ServiceLoader.load(Scenario.class)) {
      add(s);
    }
  }

  private Scenarios() {}

  /** Registers a scenario; those of other packages are found as services (see the static block). */
  public static synchronized void add(Scenario s) {
    if (ALL.putIfAbsent(s.name(), s) != null) {
      throw new IllegalArgumentException("scenario '" + s.name() + "' is registered twice");
    }
  }

  /** The scenario called {@code name}. */
  public static synchronized Scenario get(String name) {
    Scenario s = ALL.get(name);
    if (s == null) {
      throw new IllegalArgumentException("--scenario: expected one of " + names() + " or all, got '" + name + "'"
          + (name.equals(PARTITION) ? " (the partition scenario comes with the network-namespace harness)" : ""));
    }
    return s;
  }

  public static synchronized List<String> names() {
    return List.copyOf(ALL.keySet());
  }

  public static synchronized List<Scenario> all() {
    return List.copyOf(ALL.values());
  }

  // ---- the layout ----

  /**
   * Starts n1 (coordinator, GPU), then f1 (frontend, coordinator), g2 (GPU) and, with {@code
   * secondFrontend}, f2 (frontend); waits until the mlp serves.
   */
  static LocalCluster standard(Scenario.Context ctx, boolean secondFrontend, List<String> extraProps)
      throws Exception {
    return standard(ctx, secondFrontend, extraProps, 96, true);
  }

  /** {@link #standard} with heaps of {@code heapMiB}, and without g2 unless {@code gpuNode}. */
  static LocalCluster standard(Scenario.Context ctx, boolean secondFrontend, List<String> extraProps, int heapMiB,
      boolean gpuNode) throws Exception {
    LocalCluster.Settings settings = LocalCluster.Settings.local(ctx.dir(), ctx.repo()).withLauncher(ctx.launcher())
        .withJvmProps(PLACEMENT).withJvmProps(extraProps).withHeapMiB(heapMiB);
    LocalCluster cluster = new LocalCluster(settings);
    try {
      cluster.start("n1", EnumSet.of(Role.COORDINATOR, Role.GPU));
      List<Node> rest = new ArrayList<>();
      rest.add(cluster.launch("f1", EnumSet.of(Role.FRONTEND, Role.COORDINATOR), List.of()));
      if (gpuNode) {
        rest.add(cluster.launch("g2", EnumSet.of(Role.GPU), List.of()));
      }
      if (secondFrontend) {
        rest.add(cluster.launch("f2", EnumSet.of(Role.FRONTEND), List.of()));
      }
      for (Node n : rest) {
        n.awaitServing(settings.startTimeout());
      }
      cluster.awaitTrue("the model serves", Duration.ofSeconds(90),
          () -> !cluster.replicas(ModelOracle.MODEL).isEmpty());
      ctx.say("  cluster up: " + cluster.alive());
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** Starts four closed-loop clients and waits until the model serves on every GPU node and answers flow. */
  static LoadClients load(Scenario.Context ctx, LocalCluster cluster, ScenarioRun run) throws Exception {
    LoadClients clients = LoadClients.of(cluster, run.ledger(), ctx.oracle());
    clients.closedLoop("c", 4, DEADLINE_MS);
    cluster.awaitTrue("correct answers flow", Duration.ofSeconds(60),
        () -> run.ledger().count(Ledger.Outcome.CORRECT) > 20);
    long gpus = cluster.alive().stream().filter(n -> n.roles().contains(Role.GPU)).count();
    cluster.awaitTrue("the model serves on all " + gpus + " GPU nodes under load", Duration.ofSeconds(60),
        () -> cluster.replicas(ModelOracle.MODEL).size() == gpus);
    Thread.sleep(ctx.phase(2, 10).toMillis());
    return clients;
  }

  static boolean servesOn(LocalCluster cluster, Node node) {
    return cluster.replicas(ModelOracle.MODEL).stream().anyMatch(g -> g.startsWith(node.address() + "#"));
  }

  static long correctSince(Ledger ledger, double tMs) {
    return ledger.entries().stream()
        .filter(e -> e.outcome() == Ledger.Outcome.CORRECT && e.answeredMs() >= tMs).count();
  }

  /** Waits for {@code n} more correct answers, then the after-fault phase. */
  static void serveOn(Scenario.Context ctx, LocalCluster cluster, ScenarioRun run, String what)
      throws InterruptedException {
    double from = run.ledger().nowMs();
    cluster.awaitTrue(what, Duration.ofSeconds(60), () -> correctSince(run.ledger(), from) > 30);
    Thread.sleep(ctx.phase(2, 15).toMillis());
  }

  // ---- helpers ----

  static long failedSince(Ledger ledger, double tMs) {
    return ledger.entries().stream().filter(e -> e.sentMs() >= tMs && e.outcome() != Ledger.Outcome.CORRECT).count();
  }

  static boolean memberUp(LocalCluster cluster, Node node) {
    ClusterStatusResponse s = cluster.status();
    return s.getNodesList().stream().anyMatch(n -> n.getAddress().equals(node.address()));
  }

  static long removedEvents(LocalCluster cluster, Node node) throws IOException {
    long n = 0;
    for (Node other : cluster.nodes()) {
      if (other != node) {
        n += other.events().stream()
            .filter(e -> e.kind().equals("member-removed") && e.field("member").contains(node.member())).count();
      }
    }
    return n;
  }

  /** Epoch ms of the first member-removed event about {@code node} on another node. */
  static long firstRemoved(LocalCluster cluster, Node node) throws IOException {
    long first = Long.MAX_VALUE;
    for (Node other : cluster.nodes()) {
      if (other != node && other.isAlive()) {
        for (NodeEvent e : other.events()) {
          if (e.kind().equals("member-removed") && e.field("member").contains(node.member())) {
            first = Math.min(first, e.tMs());
          }
        }
      }
    }
    if (first == Long.MAX_VALUE) {
      throw new AssertionError("no node recorded a member-removed event for " + node.member());
    }
    return first;
  }

  static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double[] s = sorted.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.ceil(q * s.length) - 1 < 0 ? 0 : (int) Math.ceil(q * s.length) - 1)];
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
