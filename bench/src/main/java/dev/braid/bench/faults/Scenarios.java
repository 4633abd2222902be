package dev.braid.bench.faults;

import dev.braid.bench.faults.LocalCluster.Node;
import dev.braid.bench.faults.LocalCluster.Role;
import dev.braid.protocol.admin.ClusterStatusResponse;
import dev.braid.protocol.admin.DrainNodeResponse;
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
    add(Scenario.of("kill-gpu", "SIGKILL of a GPU node under load", false, Scenarios::killGpu));
    add(Scenario.of("kill-coordinator", "SIGKILL of the node holding the coordinator singleton under load", false,
        Scenarios::killCoordinator));
    add(Scenario.of("kill-frontend", "SIGKILL of one of two frontends under load", false, Scenarios::killFrontend));
    add(Scenario.of("pause-short", "SIGSTOP of a GPU node for less than the failure detector's allowance, then SIGCONT",
        false, Scenarios::pauseShort));
    add(Scenario.of("pause-long", "SIGSTOP of a GPU node for longer than the downing time, then SIGCONT", false,
        Scenarios::pauseLong));
    add(Scenario.of("leave", "graceful leave (SIGTERM) of a GPU node under load", false, Scenarios::leave));
    add(Scenario.of("drain", "braid drain of a GPU node under load, then SIGTERM", false, Scenarios::drain));
    add(Scenario.of("overload", "open loop at 3x the sustainable rate, one GPU node", false, Scenarios::overload));
    add(Scenario.of("cancel", "clients cancelling calls and sending deadlines too short to meet, beside normal load",
        false, Scenarios::cancel));
    add(Scenario.of("churn", "50 cycles of a GPU node joining, taking a replica, draining and leaving, under load",
        true, Scenarios::churn));
    add(Scenario.of("soak", "steady load for --duration; heap after GC of every node sampled", true,
        (ctx, run) -> soak(ctx, run, false)));
    add(Scenario.of("soak-leak", "soak with one node deliberately leaking (the heap check must catch it)",
        true, (ctx, run) -> soak(ctx, run, true)));
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

  /** Starts four closed-loop clients and waits until the model serves on both GPUs and answers flow. */
  private static LoadClients load(Scenario.Context ctx, LocalCluster cluster, ScenarioRun run) throws Exception {
    LoadClients clients = LoadClients.of(cluster, run.ledger(), ctx.oracle());
    clients.closedLoop("c", 4, DEADLINE_MS);
    cluster.awaitTrue("correct answers flow", Duration.ofSeconds(60),
        () -> run.ledger().count(Ledger.Outcome.CORRECT) > 20);
    cluster.awaitTrue("the model serves on both GPU nodes under load", Duration.ofSeconds(60),
        () -> cluster.replicas(ModelOracle.MODEL).size() == 2);
    Thread.sleep(ctx.phase(2, 10).toMillis());
    return clients;
  }

  private static boolean servesOn(LocalCluster cluster, Node node) {
    return cluster.replicas(ModelOracle.MODEL).stream().anyMatch(g -> g.startsWith(node.address() + "#"));
  }

  private static long correctSince(Ledger ledger, double tMs) {
    return ledger.entries().stream()
        .filter(e -> e.outcome() == Ledger.Outcome.CORRECT && e.answeredMs() >= tMs).count();
  }

  /** Waits for {@code n} more correct answers, then the after-fault phase. */
  private static void serveOn(Scenario.Context ctx, LocalCluster cluster, ScenarioRun run, String what)
      throws InterruptedException {
    double from = run.ledger().nowMs();
    cluster.awaitTrue(what, Duration.ofSeconds(60), () -> correctSince(run.ledger(), from) > 30);
    Thread.sleep(ctx.phase(2, 15).toMillis());
  }

  // ---- the scenarios ----

  static void killGpu(Scenario.Context ctx, ScenarioRun run) throws Exception {
    try (LocalCluster cluster = standard(ctx, false, List.of())) {
      Node g2 = cluster.node("g2");
      try (LoadClients clients = load(ctx, cluster, run)) {
        Ledger.Mark kill = run.ledger().mark("SIGKILL g2");
        g2.kill();
        cluster.awaitTrue("the dead node leaves the placement", Duration.ofSeconds(60), () -> !servesOn(cluster, g2));
        run.figure("placement_without_dead_node_ms", run.ledger().nowMs() - kill.tMs());
        serveOn(ctx, cluster, run, "the cluster serves again after the kill");
      }
    }
  }

  static void killCoordinator(Scenario.Context ctx, ScenarioRun run) throws Exception {
    try (LocalCluster cluster = standard(ctx, false, List.of())) {
      Node n1 = cluster.node("n1");
      Node f1 = cluster.node("f1");
      cluster.awaitTrue("n1 holds the coordinator", Duration.ofSeconds(30),
          () -> cluster.status().getCoordinatorAddress().contains(n1.member()));
      try (LoadClients clients = load(ctx, cluster, run)) {
        Ledger.Mark kill = run.ledger().mark("SIGKILL n1 (coordinator)");
        long killEpoch = run.ledger().epochMs(kill.tMs());
        n1.kill();
        cluster.awaitTrue("the coordinator moves to f1", Duration.ofSeconds(60),
            () -> cluster.status().getCoordinatorAddress().contains(f1.member()));
        double moved = run.ledger().nowMs();
        run.figure("coordinator_moved_ms", moved - kill.tMs());
        cluster.awaitTrue("placement resumes without the dead node", Duration.ofSeconds(60),
            () -> !servesOn(cluster, n1) && !cluster.replicas(ModelOracle.MODEL).isEmpty());
        run.figure("placement_resumed_ms", run.ledger().nowMs() - kill.tMs());
        long meanwhile = run.ledger().entries().stream().filter(e -> e.outcome() == Ledger.Outcome.CORRECT
            && e.answeredMs() > kill.tMs() && e.answeredMs() < moved).count();
        run.figure("correct_while_no_coordinator", meanwhile);
        run.check("frontends keep routing on their last table while the coordinator moves", meanwhile > 0,
            meanwhile + " correct answers between the kill and the new coordinator");
        serveOn(ctx, cluster, run, "the cluster serves again after the kill");
        // At no time two coordinators: f1's coordinator starts only after n1 died.
        NodeEvent started = f1.awaitEvent("coordinator-started", e -> e.kind().equals("coordinator-started"),
            Duration.ofSeconds(10));
        run.check("the new coordinator starts only after the old one's node died", started.tMs() >= killEpoch,
            "f1's coordinator-started at " + (started.tMs() - killEpoch) + " ms after the kill");
      }
    }
  }

  static void killFrontend(Scenario.Context ctx, ScenarioRun run) throws Exception {
    try (LocalCluster cluster = standard(ctx, true, List.of())) {
      Node f2 = cluster.node("f2");
      try (LoadClients clients = load(ctx, cluster, run)) {
        run.ledger().mark("SIGKILL f2 (frontend)");
        f2.kill();
        serveOn(ctx, cluster, run, "the clients are served by the other frontend");
      }
    }
  }

  static void pauseShort(Scenario.Context ctx, ScenarioRun run) throws Exception {
    // Half the shorter of the failure detector's allowance and the downing time (a node fences
    // itself after braid.cluster.max-pause, which defaults to the downing time).
    Duration pause = min(LocalCluster.ACCEPTABLE_HEARTBEAT_PAUSE, LocalCluster.STABLE_AFTER).dividedBy(2);
    try (LocalCluster cluster = standard(ctx, false, List.of())) {
      Node g2 = cluster.node("g2");
      try (LoadClients clients = load(ctx, cluster, run)) {
        run.ledger().mark("SIGSTOP g2 for " + pause.toMillis() + " ms");
        g2.pause();
        Thread.sleep(pause.toMillis());
        g2.resume();
        Ledger.Mark resumed = run.ledger().mark("SIGCONT g2");
        long resumedEpoch = run.ledger().epochMs(resumed.tMs());
        // Long enough for a downing to have happened, had the pause been taken for a crash.
        Thread.sleep(LocalCluster.ACCEPTABLE_HEARTBEAT_PAUSE.plus(LocalCluster.STABLE_AFTER).toMillis() + 2000);
        run.check("the paused node is not downed", g2.isAlive() && memberUp(cluster, g2),
            "g2 alive: " + g2.isAlive() + ", in the membership: " + memberUp(cluster, g2));
        long removed = removedEvents(cluster, g2);
        run.check("no node saw the paused node removed", removed == 0, removed + " member-removed events for g2");
        NodeEvent after = g2.awaitEvent("executed after SIGCONT",
            e -> e.kind().equals("executed") && e.tMs() > resumedEpoch, Duration.ofSeconds(20));
        run.figure("first_executed_after_resume_ms", after.tMs() - resumedEpoch);
        run.check("the paused node serves again", true, "first launch " + (after.tMs() - resumedEpoch)
            + " ms after SIGCONT");
      }
    }
  }

  static void pauseLong(Scenario.Context ctx, ScenarioRun run) throws Exception {
    Duration pause = LocalCluster.ACCEPTABLE_HEARTBEAT_PAUSE.plus(LocalCluster.STABLE_AFTER).plusSeconds(6);
    try (LocalCluster cluster = standard(ctx, false, List.of())) {
      Node g2 = cluster.node("g2");
      try (LoadClients clients = load(ctx, cluster, run)) {
        Ledger.Mark stop = run.ledger().mark("SIGSTOP g2 for " + pause.toMillis() + " ms");
        g2.pause();
        cluster.awaitTrue("the others remove the paused node", pause.plusSeconds(30), () -> !memberUp(cluster, g2));
        run.figure("removed_after_ms", run.ledger().nowMs() - stop.tMs());
        long remaining = pause.toMillis() - Math.round(run.ledger().nowMs() - stop.tMs());
        if (remaining > 0) {
          Thread.sleep(remaining);
        }
        g2.resume();
        Ledger.Mark resumed = run.ledger().mark("SIGCONT g2");
        boolean exited = g2.awaitExit(Duration.ofSeconds(30));
        run.figure("exit_after_resume_ms", exited ? run.ledger().nowMs() - resumed.tMs() : Double.NaN);
        run.check("the downed node exits after it resumes", exited, exited ? "exited with "
            + g2.process().exitValue() : "still running 30 s after SIGCONT");
        long downedEpoch = firstRemoved(cluster, g2);
        List<NodeEvent> events = g2.events();
        long lateWork = events.stream().filter(e -> e.kind().equals("executed") && e.tMs() >= downedEpoch).count();
        run.check("the downed node runs no request after it was downed", lateWork == 0,
            lateWork + " executed events on g2 after it was removed");
        boolean noticed = events.stream().anyMatch(e -> e.kind().equals("self-downed") || e.kind().equals("exiting"));
        run.check("the downed node notices (self-downed or exiting event)", noticed,
            events.stream().filter(e -> !e.kind().equals("executed")).map(NodeEvent::kind).toList().toString());
        serveOn(ctx, cluster, run, "the cluster serves on");
      }
    }
  }

  static void leave(Scenario.Context ctx, ScenarioRun run) throws Exception {
    try (LocalCluster cluster = standard(ctx, false, List.of())) {
      Node g2 = cluster.node("g2");
      try (LoadClients clients = load(ctx, cluster, run)) {
        Ledger.Mark term = run.ledger().mark("SIGTERM g2");
        g2.leave();
        boolean exited = g2.awaitExit(Duration.ofSeconds(60));
        run.figure("left_after_ms", run.ledger().nowMs() - term.tMs());
        run.check("the leaving node stops within 60 s", exited && g2.logText().contains("stopped"),
            exited ? "exited" : "still running");
        serveOn(ctx, cluster, run, "the cluster serves after the leave");
      }
      // Counted once the clients stopped: requests still in flight are not failures.
      long failed = failedSince(run.ledger(), run.ledger().marks().get(0).tMs());
      run.check("no request fails during a graceful leave", failed == 0, failed + " failed");
    }
  }

  static void drain(Scenario.Context ctx, ScenarioRun run) throws Exception {
    try (LocalCluster cluster = standard(ctx, false, List.of())) {
      Node g2 = cluster.node("g2");
      try (LoadClients clients = load(ctx, cluster, run)) {
        Ledger.Mark start = run.ledger().mark("braid drain g2");
        DrainNodeResponse reply = cluster.drain(g2, Duration.ofSeconds(120));
        run.figure("drain_ms", run.ledger().nowMs() - start.tMs());
        run.check("the drain reports the node safe to remove", reply.getSafeToRemove(), reply.getMessage());
        g2.leave();
        boolean exited = g2.awaitExit(Duration.ofSeconds(60));
        run.check("the drained node stops within 60 s of SIGTERM", exited, exited ? "exited" : "still running");
        serveOn(ctx, cluster, run, "the cluster serves after the drain");
      }
      long failed = failedSince(run.ledger(), run.ledger().marks().get(0).tMs());
      run.check("no request fails during a drain", failed == 0, failed + " failed");
    }
  }

  static void overload(Scenario.Context ctx, ScenarioRun run) throws Exception {
    long deadlineMs = 1000;
    // One GPU node (n1, one compute thread): on two cores the device must be the bottleneck, not
    // the frontend and the client, or refusals wait for a core like everything else.
    try (LocalCluster cluster = standard(ctx, false, List.of(), 96, false)) {
      // The sustainable rate: what a saturating closed loop gets through, counted in a ledger of its own.
      Ledger calibration = new Ledger();
      double rate;
      try (LoadClients c = LoadClients.of(cluster, calibration, ctx.oracle())) {
        c.closedLoop("cal", 4, DEADLINE_MS);
        cluster.awaitTrue("correct answers flow", Duration.ofSeconds(60),
            () -> calibration.count(Ledger.Outcome.CORRECT) > 20);
        double from = calibration.nowMs();
        Thread.sleep(ctx.phase(4, 15).toMillis());
        rate = correctSince(calibration, from) / ((calibration.nowMs() - from) / 1000);
      }
      run.figure("sustainable_rps", rate);
      run.figure("offered_rps", 3 * rate);
      try (LoadClients clients = LoadClients.of(cluster, run.ledger(), ctx.oracle())) {
        run.ledger().mark(String.format(Locale.ROOT, "open loop at 3x %.0f/s", rate));
        clients.openLoop("o", 3 * rate, deadlineMs);
        Thread.sleep(ctx.phase(6, 30).toMillis());
      }
      List<Ledger.Entry> all = run.ledger().entries();
      double[] refusals = all.stream().filter(Scenarios::refused).mapToDouble(Ledger.Entry::latencyMs).sorted()
          .toArray();
      List<Ledger.Entry> admitted = all.stream()
          .filter(e -> e.outcome() != Ledger.Outcome.NONE && !refused(e)).toList();
      long inTime = admitted.stream()
          .filter(e -> e.outcome() == Ledger.Outcome.CORRECT && e.latencyMs() <= e.deadlineMs()).count();
      double share = admitted.isEmpty() ? Double.NaN : (double) inTime / admitted.size();
      double p99 = percentile(refusals, 0.99);
      run.figure("refused", refusals.length);
      run.figure("refusal_p50_ms", percentile(refusals, 0.5));
      run.figure("refusal_p99_ms", p99);
      run.figure("refusal_max_ms", refusals.length == 0 ? Double.NaN : refusals[refusals.length - 1]);
      run.figure("admitted", admitted.size());
      run.figure("admitted_within_deadline_share", share);
      // Promises: overload is refused explicitly, and every request ends (the runner's checks).
      run.check("at 3x the sustainable rate some requests are refused at admission (RESOURCE_EXHAUSTED,"
          + " or DEADLINE_EXCEEDED predicted)", refusals.length > 0, refusals.length + " refused of " + all.size());
      run.check("some admitted requests are answered correctly", inTime > 0 || admitted.stream()
          .anyMatch(e -> e.outcome() == Ledger.Outcome.CORRECT), inTime + " of " + admitted.size() + " in time");
      // Targets: timed, so they depend on the cores the run had; reported, not asserted.
      run.target("refusals answered within 10 ms at p99", p99, p99 <= 10,
          refusals.length + " refusals, p50 " + fmt(percentile(refusals, 0.5)) + " ms, p99 " + fmt(p99) + " ms");
      run.target(">= 99.9% of admitted requests correct within their deadline", share, share >= 0.999,
          inTime + " of " + admitted.size());
    }
  }

  /** A request the frontend refused at admission: overloaded, or a deadline it predicts it cannot meet. */
  static boolean refused(Ledger.Entry e) {
    return e.outcome() == Ledger.Outcome.ERROR && (e.code().equals("RESOURCE_EXHAUSTED")
        || (e.code().equals("DEADLINE_EXCEEDED") && e.message().contains("cannot meet the deadline")));
  }

  /**
   * Beside the normal load, calls cancelled 0 to 3 ms after sending and calls with a 1 ms deadline.
   * Promises, exact whatever the load: no 1 ms request is launched or answered; every cancelled
   * call ends CANCELLED in the ledger; and on each GPU node no {@code executed} event for an id
   * follows that id's {@code cancel-received} with stage {@code queued} (the engine writes both in
   * order on one thread). A request cancelled once its batch started (its rows on the device with
   * its batchmates') or launched runs; that is allowed and counted.
   */
  static void cancel(Scenario.Context ctx, ScenarioRun run) throws Exception {
    long expiredDeadlineMs = 1;
    try (LocalCluster cluster = standard(ctx, false, List.of())) {
      LoadClients clients = load(ctx, cluster, run);
      try {
        run.ledger().mark("cancelling and expiring clients start");
        clients.givingUp("x", ctx.quick() ? 40 : 100, expiredDeadlineMs);
        Thread.sleep(ctx.phase(6, 30).toMillis());
      } finally {
        clients.close();
      }
      Map<String, Long> cancelled = clients.cancelledAtEpochMs();
      Thread.sleep(1000); // the nodes' last events
      Map<String, NodeEvent> executed = new LinkedHashMap<>();
      Map<String, NodeEvent> cancelReceived = new LinkedHashMap<>();
      List<String> launchedAfterQueuedCancel = new ArrayList<>();
      long launchedAfterStartedCancel = 0;
      for (Node n : cluster.nodes()) {
        if (n.roles().contains(Role.GPU)) {
          Map<String, String> stageHere = new LinkedHashMap<>();
          for (NodeEvent e : n.events()) { // in the order the node wrote them
            String id = e.field("request_id");
            if (e.kind().equals("cancel-received")) {
              stageHere.put(id, e.field("stage"));
              cancelReceived.put(id, e);
            } else if (e.kind().equals("executed")) {
              executed.put(id, e);
              String stage = stageHere.get(id);
              if ("queued".equals(stage)) {
                launchedAfterQueuedCancel.add(n.name() + ":" + id);
              } else if (stage != null) {
                launchedAfterStartedCancel++;
              }
            }
          }
        }
      }
      List<Ledger.Entry> entries = run.ledger().entries();
      List<Ledger.Entry> expired = entries.stream().filter(e -> e.client().endsWith("-expire")).toList();
      long expiredRun = expired.stream().filter(e -> executed.containsKey(e.id())).count();
      long expiredAnswered = expired.stream().filter(e -> e.outcome() == Ledger.Outcome.CORRECT).count();
      List<String> notCancelled = entries.stream().filter(e -> cancelled.containsKey(e.id()))
          .filter(e -> e.outcome() != Ledger.Outcome.ERROR || !e.code().equals("CANCELLED"))
          .map(e -> e.id() + " " + e.outcome() + " " + e.code()).toList();
      long received = cancelled.keySet().stream().filter(cancelReceived::containsKey).count();
      long ranBeforeCancel = cancelled.keySet().stream().filter(executed::containsKey).count();
      long latestLaunchAfterClientCancelMs = 0;
      for (Map.Entry<String, Long> c : cancelled.entrySet()) {
        NodeEvent e = executed.get(c.getKey());
        if (e != null) {
          latestLaunchAfterClientCancelMs = Math.max(latestLaunchAfterClientCancelMs, e.tMs() - c.getValue());
        }
      }
      run.figure("cancelled", cancelled.size());
      run.figure("cancel_received_on_gpu", received);
      run.figure("cancelled_executed", ranBeforeCancel);
      run.figure("cancelled_never_executed", cancelled.size() - ranBeforeCancel);
      run.figure("latest_launch_after_client_cancel_ms", latestLaunchAfterClientCancelMs);
      for (String stage : List.of("queued", "started", "launched", "answered")) {
        run.figure("cancel_received_" + stage, cancelled.keySet().stream().map(cancelReceived::get)
            .filter(e -> e != null && stage.equals(e.field("stage"))).count());
      }
      run.figure("executed_after_cancel_in_started_batch", launchedAfterStartedCancel);
      run.figure("expired_sent", expired.size());
      run.figure("expired_executed", expiredRun);
      run.figure("executed_events", executed.size());
      run.check("the load's requests are executed and logged (the check can see launches)",
          !executed.isEmpty(), executed.size() + " executed events");
      run.check("no request with an unmeetable deadline (" + expiredDeadlineMs + " ms) is launched", expiredRun == 0
          && expiredAnswered == 0, expiredRun + " of " + expired.size() + " launched, " + expiredAnswered + " answered");
      run.check("every cancelled call ends CANCELLED in the ledger", notCancelled.isEmpty(),
          notCancelled.size() + " of " + cancelled.size() + (notCancelled.isEmpty() ? "" : ": "
              + notCancelled.subList(0, Math.min(5, notCancelled.size()))));
      run.check("no request cancelled while queued on a GPU is launched there (cancel-received stage queued,"
          + " then executed)", launchedAfterQueuedCancel.isEmpty(), launchedAfterQueuedCancel.size() + " of " + received
          + " cancels received" + (launchedAfterQueuedCancel.isEmpty() ? "" : ": "
              + launchedAfterQueuedCancel.subList(0, Math.min(5, launchedAfterQueuedCancel.size()))));
    }
  }

  static void churn(Scenario.Context ctx, ScenarioRun run) throws Exception {
    int cycles = ctx.quick() ? 3 : 50;
    try (LocalCluster cluster = standard(ctx, false, List.of())) {
      try (LoadClients clients = load(ctx, cluster, run)) {
        run.ledger().mark("churn starts");
        double[] cycleMs = new double[cycles];
        for (int i = 0; i < cycles; i++) {
          double t0 = run.ledger().nowMs();
          Node j = cluster.start("j" + i, EnumSet.of(Role.GPU));
          cluster.awaitTrue("j" + i + " takes a replica", Duration.ofSeconds(90), () -> servesOn(cluster, j));
          DrainNodeResponse reply = cluster.drain(j, Duration.ofSeconds(120));
          if (!reply.getSafeToRemove()) {
            run.check("drain of j" + i + " is safe", false, reply.getMessage());
          }
          j.leave();
          if (!j.awaitExit(Duration.ofSeconds(60))) {
            run.check("j" + i + " stops after its drain", false, "still running 60 s after SIGTERM");
          }
          cycleMs[i] = run.ledger().nowMs() - t0;
          ctx.say(String.format(Locale.ROOT, "  cycle %d: %.1f s", i + 1, cycleMs[i] / 1000));
        }
        run.figure("cycles", cycles);
        run.figure("cycle_p50_ms", percentile(cycleMs, 0.5));
        Thread.sleep(ctx.phase(2, 10).toMillis());
      }
      long failed = failedSince(run.ledger(), 0);
      run.check("zero failed requests through the cycles", failed == 0, failed + " failed");
    }
  }

  /**
   * Heap growth after GC the soak tolerates per node between its second and last samples: the
   * bound of "flat". The nodes' heaps after GC measured 30 to 75 MiB and moved by -5 to +7 MiB over
   * 30 s soaks; the leaking control holds three times the bound over the soak, so the soak's
   * nodes get heaps of {@link #SOAK_HEAP_MIB}.
   */
  static final long SOAK_BOUND_BYTES = 8L << 20;

  static final int SOAK_HEAP_MIB = 160;

  static void soak(Scenario.Context ctx, ScenarioRun run, boolean leaking) throws Exception {
    Duration duration = ctx.soak() != null ? ctx.soak() : ctx.phase(30, 1800);
    List<String> props = new ArrayList<>();
    try (LocalCluster cluster = standard(ctx, false, props, SOAK_HEAP_MIB, true)) {
      if (leaking) {
        // g2 is replaced by a leaking twin: the harness's LeakAgent holds three times the bound more
        // over the soak, a little every second.
        Node g2 = cluster.node("g2");
        g2.kill();
        cluster.awaitTrue("g2 leaves the placement", Duration.ofSeconds(60), () -> !servesOn(cluster, g2));
        int perSecond = (int) Math.max(1024, 3 * SOAK_BOUND_BYTES / Math.max(1, duration.toSeconds()));
        run.figure("leak_bytes_per_s", perSecond);
        Node leak = cluster.launch("g2-leaking", EnumSet.of(Role.GPU), LeakAgent.jvmArgs(ctx.dir(), perSecond));
        leak.awaitServing(cluster.settings().startTimeout());
      }
      try (LoadClients clients = load(ctx, cluster, run)) {
        run.ledger().mark("soak starts");
        int samples = 6;
        Map<String, long[]> heaps = new LinkedHashMap<>();
        for (int s = 0; s < samples; s++) {
          if (s > 0) {
            Thread.sleep(duration.toMillis() / (samples - 1));
          }
          for (Node n : cluster.alive()) {
            heaps.computeIfAbsent(n.name(), k -> new long[samples])[s] = n.heapAfterGcBytes();
          }
        }
        long worst = Long.MIN_VALUE;
        String worstNode = "";
        for (Map.Entry<String, long[]> h : heaps.entrySet()) {
          long[] v = h.getValue();
          long growth = v[samples - 1] - v[1]; // the first sample still holds start-up garbage of classes and caches
          run.figure("heap_growth_" + h.getKey() + "_bytes", growth);
          run.figure("heap_last_" + h.getKey() + "_bytes", v[samples - 1]);
          if (growth > worst) {
            worst = growth;
            worstNode = h.getKey();
          }
        }
        run.figure("soak_s", duration.toSeconds());
        boolean flat = worst <= SOAK_BOUND_BYTES;
        if (leaking) {
          run.check("the heap check catches the leaking node", !flat && worstNode.equals("g2-leaking"),
              "largest growth " + (worst >> 10) + " KiB on " + worstNode + ", bound " + (SOAK_BOUND_BYTES >> 10)
                  + " KiB");
        } else {
          run.check("heap after GC flat within " + (SOAK_BOUND_BYTES >> 20) + " MiB on every node", flat,
              "largest growth " + (worst >> 10) + " KiB on " + worstNode);
        }
      }
    }
  }

  // ---- helpers ----

  private static long failedSince(Ledger ledger, double tMs) {
    return ledger.entries().stream().filter(e -> e.sentMs() >= tMs && e.outcome() != Ledger.Outcome.CORRECT).count();
  }

  private static boolean memberUp(LocalCluster cluster, Node node) {
    ClusterStatusResponse s = cluster.status();
    return s.getNodesList().stream().anyMatch(n -> n.getAddress().equals(node.address()));
  }

  private static long removedEvents(LocalCluster cluster, Node node) throws IOException {
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
  private static long firstRemoved(LocalCluster cluster, Node node) throws IOException {
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

  private static Duration min(Duration a, Duration b) {
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
