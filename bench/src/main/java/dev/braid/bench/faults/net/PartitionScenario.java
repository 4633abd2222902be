package dev.braid.bench.faults.net;

import dev.braid.bench.faults.Ledger;
import dev.braid.bench.faults.LoadClients;
import dev.braid.bench.faults.LocalCluster;
import dev.braid.bench.faults.LocalCluster.Node;
import dev.braid.bench.faults.LocalCluster.Role;
import dev.braid.bench.faults.ModelOracle;
import dev.braid.bench.faults.NodeEvent;
import dev.braid.bench.faults.Scenario;
import dev.braid.bench.faults.ScenarioRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The partition fault of issue 16: a five-node Braid cluster, each node in a network namespace of
 * its own ({@link NetLab}), is cut 3 against 2 under load. Nodes: {@code c1} (frontend and
 * coordinator, started first: the oldest coordinator node), {@code g1}, {@code g2} (GPU nodes on
 * the CPU device), {@code c2} (frontend and coordinator, younger), {@code g3} (GPU node). The
 * clients call {@code c1}'s frontend. Pekko's split-brain resolver (keep-oldest) keeps the side that
 * holds the oldest node, whichever side is larger; {@code c1}, started first, is both the oldest
 * node and the oldest coordinator node, so the side without {@code c1} must down itself.
 *
 * <p>Promises checked (besides the runner's: every request has a final status, none is wrong):
 * every far-side node reports itself downed (or exits), and its process then exits; the near side
 * keeps running and serving (correct answers after the far side is gone); the nodes' event streams
 * show no instant at which two nodes held the coordinator and no placement outside a coordinator's
 * tenure ({@link CoordinatorTimeline}); {@code c1} keeps the coordinator throughout; no far-side node launches a
 * request after it was downed. Figures: the far side's downing time, the time until the
 * coordinator's placement no longer names a far-side GPU, and the runner's recovery figures.
 *
 * <p>Where this host cannot make network namespaces (not root) the scenario says so in one line,
 * records the figure {@code skipped_no_namespaces} and runs nothing.
 */
public final class PartitionScenario {
  /** The request deadline of the closed-loop clients, as the harness's other scenarios use. */
  private static final long DEADLINE_MS = 8000;
  /** Placement that wants a replica on every GPU at a few requests/s, so the far side holds one. */
  private static final List<String> PLACEMENT = List.of("-Dbraid.coordinator.placement.target-utilisation=0.002",
      "-Dbraid.coordinator.placement.rebalance-threshold=0.001");

  /** Where the oldest coordinator node, {@code c1}, is when the network is cut. */
  public enum Split {
    /** {c1, g1, g2} against {c2, g3}: the larger side holds the oldest coordinator node. */
    OLDEST_WITH_THREE("partition", Set.of("c1", "g1", "g2"), Set.of("c2", "g3")),
    /** {c1, g3} against {c2, g1, g2}: the smaller side holds it, and must still be the one kept. */
    OLDEST_WITH_TWO("partition-oldest-with-two", Set.of("c1", "g3"), Set.of("c2", "g1", "g2"));

    private final String scenarioName;
    private final Set<String> near;
    private final Set<String> far;

    Split(String scenarioName, Set<String> near, Set<String> far) {
      this.scenarioName = scenarioName;
      this.near = near;
      this.far = far;
    }

    /** The side that holds {@code c1}, which must survive. */
    public Set<String> near() {
      return new TreeSet<>(near);
    }

    /** The other side, which must down itself. */
    public Set<String> far() {
      return new TreeSet<>(far);
    }
  }

  private PartitionScenario() {}

  /** The scenario {@code braid bench faults --scenario partition} (or the other split's name) runs. */
  public static Scenario scenario(Split split) {
    return Scenario.of(split.scenarioName, "network partition " + split.near() + " | " + split.far()
        + " (network namespaces; the oldest coordinator node on the side of " + split.near.size() + ")", false,
        (ctx, run) -> run(split, ctx, run));
  }

  /**
   * {@code --scenario partition}: the oldest coordinator node on the side of three. Registered with
   * bench faults as a service (META-INF/services/dev.braid.bench.faults.Scenario).
   */
  public static final class OldestWithThree extends Registered {
    public OldestWithThree() {
      super(Split.OLDEST_WITH_THREE);
    }
  }

  /** {@code --scenario partition-oldest-with-two}: the oldest coordinator node on the side of two. */
  public static final class OldestWithTwo extends Registered {
    public OldestWithTwo() {
      super(Split.OLDEST_WITH_TWO);
    }
  }

  /** A split's scenario as a service class (ServiceLoader needs a public no-argument constructor). */
  abstract static class Registered implements Scenario {
    private final Scenario scenario;

    Registered(Split split) {
      this.scenario = scenario(split);
    }

    @Override
    public String name() {
      return scenario.name();
    }

    @Override
    public String fault() {
      return scenario.fault();
    }

    @Override
    public boolean benchOnly() {
      return scenario.benchOnly();
    }

    @Override
    public void run(Scenario.Context ctx, ScenarioRun run) throws Exception {
      scenario.run(ctx, run);
    }
  }

  static void run(Split split, Scenario.Context ctx, ScenarioRun run) throws Exception {
    if (NetLab.unavailableReason().isPresent()) {
      ctx.say("  skipped: " + NetLab.unavailableReason().get());
      run.figure("skipped_no_namespaces", 1);
      return;
    }
    try (NetLab lab = NetLab.create();
        LocalCluster cluster = new LocalCluster(LocalCluster.Settings.local(ctx.dir(), ctx.repo()).withLauncher(lab)
            .withJvmProps(PLACEMENT))) {
      ctx.say("  network lab " + lab.subnet());
      Node c1 = cluster.start("c1", EnumSet.of(Role.FRONTEND, Role.COORDINATOR));
      List<Node> rest = new ArrayList<>();
      rest.add(cluster.launch("g1", EnumSet.of(Role.GPU), List.of()));
      rest.add(cluster.launch("g2", EnumSet.of(Role.GPU), List.of()));
      rest.add(cluster.launch("c2", EnumSet.of(Role.FRONTEND, Role.COORDINATOR), List.of()));
      rest.add(cluster.launch("g3", EnumSet.of(Role.GPU), List.of()));
      for (Node n : rest) {
        n.awaitServing(cluster.settings().startTimeout());
      }
      cluster.awaitTrue("the model serves", Duration.ofSeconds(90),
          () -> !cluster.replicas(ModelOracle.MODEL).isEmpty());
      ctx.say("  cluster up: " + cluster.alive());

      List<String> farGpus = split.far.stream().map(cluster::node).filter(n -> n.roles().contains(Role.GPU))
          .map(n -> n.address() + "#").toList();
      // The clients call c1 only: the far side's frontend is cut off from its GPUs' answers anyway,
      // and a client of the far side would measure the far side's death, not the cluster's service.
      try (LoadClients clients = new LoadClients(run.ledger(), ctx.oracle(),
          () -> c1.isAlive() ? List.of(cluster.channel(c1)) : List.of())) {
        clients.closedLoop("c", 3, DEADLINE_MS);
        cluster.awaitTrue("correct answers flow", Duration.ofSeconds(60),
            () -> run.ledger().count(Ledger.Outcome.CORRECT) > 20);
        cluster.awaitTrue("a replica on the far side", Duration.ofSeconds(90), () -> servesOnAny(cluster, farGpus));
        Thread.sleep(ctx.phase(2, 10).toMillis());

        Ledger.Mark cut = run.ledger().mark("partition " + split.near() + " | " + split.far());
        lab.partition(split.near, split.far);
        long cutEpochMs = run.ledger().epochMs(cut.tMs());

        // Unreachable after the failure detector's allowance, downed stable-after later: 90 s is
        // several times that, for JVMs that share two cores.
        Map<String, Long> goneAtEpochMs = new TreeMap<>();
        long giveUp = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!goneAtEpochMs.keySet().containsAll(split.far) && System.nanoTime() < giveUp) {
          for (String name : split.far) {
            if (!goneAtEpochMs.containsKey(name)) {
              goneAt(cluster.node(name)).ifPresent(t -> goneAtEpochMs.put(name, t));
            }
          }
          Thread.sleep(100);
        }
        boolean farGone = goneAtEpochMs.keySet().containsAll(split.far);
        long farDownMs = goneAtEpochMs.values().stream().mapToLong(Long::longValue).max().orElse(-1) - cutEpochMs;
        run.check("every far-side node exits or reports itself downed", farGone, farGone
            ? split.far() + " within " + farDownMs + " ms of the cut"
            : "only " + goneAtEpochMs.keySet() + " of " + split.far() + " within 90 s" + cluster.logTails(3000));
        if (!farGone) {
          return;
        }
        run.figure("far_side_down_ms", farDownMs);
        ctx.say("  far side down " + farDownMs + " ms after the cut: " + goneAtEpochMs);
        // A downed node must not linger: braid serve leaves and exits once it learns it was downed.
        List<String> lingering = new ArrayList<>();
        for (String name : split.far) {
          if (!cluster.node(name).awaitExit(Duration.ofSeconds(60))) {
            lingering.add(name);
          }
        }
        run.check("every far-side process exits", lingering.isEmpty(),
            lingering.isEmpty() ? "exited by +" + (System.currentTimeMillis() - cutEpochMs) + " ms"
                : "still running 60 s after the far side was down: " + lingering);
        cluster.awaitTrue("placement without the far side's GPUs", Duration.ofSeconds(60),
            () -> !servesOnAny(cluster, farGpus) && !cluster.replicas(ModelOracle.MODEL).isEmpty());
        run.figure("placement_without_far_side_ms", run.ledger().nowMs() - cut.tMs());

        double downAt = run.ledger().nowMs();
        cluster.awaitTrue("the near side serves", Duration.ofSeconds(60),
            () -> correctSince(run.ledger(), downAt) > 30);
        Thread.sleep(ctx.phase(2, 15).toMillis());
        long correctAfter = correctSince(run.ledger(), downAt);
        run.figure("correct_after_far_side_down", correctAfter);

        // Heal: the far side's nodes, if still running, must not come back to work for the cluster.
        run.ledger().mark("heal");
        lab.heal();
        Thread.sleep(ctx.phase(3, 10).toMillis());
        clients.close();

        Set<String> nearAlive = new TreeSet<>();
        split.near.stream().filter(name -> cluster.node(name).isAlive()).forEach(nearAlive::add);
        run.check("the near side keeps running", nearAlive.equals(split.near()), "alive: " + nearAlive);
        run.check("the near side serves after the far side is down", correctAfter > 30,
            correctAfter + " correct answers");

        List<NodeEvent> events = new ArrayList<>();
        Map<String, String> names = new LinkedHashMap<>();
        for (Node n : cluster.nodes()) {
          events.addAll(n.events());
          names.put(n.member(), n.name());
        }
        CoordinatorTimeline timeline = CoordinatorTimeline.of(events, true, System.currentTimeMillis());
        List<String> coordinators = timeline.coordinators().stream().map(m -> names.getOrDefault(m, m)).toList();
        run.check("never two coordinators at once (coordinator-started/-stopped/placement events)",
            timeline.violations().isEmpty(), timeline.violations().isEmpty()
                ? "tenures " + timeline.intervals() : String.join("; ", timeline.violations()));
        run.check("the oldest coordinator node keeps the coordinator", coordinators.equals(List.of("c1")),
            "coordinators: " + coordinators);
        int c1Placements = timeline.placements().getOrDefault(c1.member(), 0);
        run.check("the coordinator placed the model", c1Placements > 0, c1Placements + " placement events by c1");
        run.figure("placements_by_far_side", split.far.stream()
            .mapToInt(name -> timeline.placements().getOrDefault(cluster.node(name).member(), 0)).sum());

        List<String> lateWork = new ArrayList<>();
        for (String name : split.far) {
          long goneAt = goneAtEpochMs.get(name);
          cluster.node(name).eventsOrNone().stream()
              .filter(e -> e.kind().equals("executed") && e.tMs() > goneAt)
              .forEach(e -> lateWork.add(
                  name + " ran " + e.field("request_id") + " at +" + (e.tMs() - goneAt) + " ms"));
        }
        run.check("no far-side node launches a request after it was downed", lateWork.isEmpty(),
            lateWork.isEmpty() ? "none" : String.join(", ", lateWork));
      }
    }
  }

  /**
   * When {@code n} left the cluster's work, epoch ms: its {@code self-downed} or {@code exiting}
   * event, or now if its process ended without writing one.
   */
  private static java.util.Optional<Long> goneAt(Node n) {
    java.util.Optional<Long> event = n.eventsOrNone().stream()
        .filter(e -> e.kind().equals("self-downed") || e.kind().equals("exiting"))
        .map(NodeEvent::tMs).findFirst();
    if (event.isPresent()) {
      return event;
    }
    return n.isAlive() ? java.util.Optional.empty() : java.util.Optional.of(System.currentTimeMillis());
  }

  private static boolean servesOnAny(LocalCluster cluster, List<String> gpuPrefixes) {
    return cluster.replicas(ModelOracle.MODEL).stream().anyMatch(g -> gpuPrefixes.stream().anyMatch(g::startsWith));
  }

  private static long correctSince(Ledger ledger, double tMs) {
    return ledger.entries().stream()
        .filter(e -> e.outcome() == Ledger.Outcome.CORRECT && e.answeredMs() >= tMs).count();
  }
}
