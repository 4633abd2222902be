package dev.braid.bench.faults;

import static dev.braid.bench.faults.Scenarios.failedSince;
import static dev.braid.bench.faults.Scenarios.firstRemoved;
import static dev.braid.bench.faults.Scenarios.load;
import static dev.braid.bench.faults.Scenarios.memberUp;
import static dev.braid.bench.faults.Scenarios.min;
import static dev.braid.bench.faults.Scenarios.removedEvents;
import static dev.braid.bench.faults.Scenarios.serveOn;
import static dev.braid.bench.faults.Scenarios.servesOn;
import static dev.braid.bench.faults.Scenarios.standard;

import dev.braid.bench.faults.LocalCluster.Node;
import dev.braid.protocol.admin.DrainNodeResponse;
import java.time.Duration;
import java.util.List;

/**
 * The scenarios in which a node stops serving: killed (SIGKILL of a GPU node, of the coordinator's
 * node, of a frontend), paused (SIGSTOP below the failure detector's allowance and past the downing
 * time), or taken out on purpose (leave, drain). Registered by name in {@link Scenarios}.
 */
// The load's clients are resources that run for a try block's length without being named in it.
@SuppressWarnings("try")
final class MembershipScenarios {
  private MembershipScenarios() {}

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
}
