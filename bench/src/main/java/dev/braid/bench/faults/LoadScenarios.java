package dev.braid.bench.faults;

import static dev.braid.bench.faults.Scenarios.DEADLINE_MS;
import static dev.braid.bench.faults.Scenarios.correctSince;
import static dev.braid.bench.faults.Scenarios.failedSince;
import static dev.braid.bench.faults.Scenarios.fmt;
import static dev.braid.bench.faults.Scenarios.load;
import static dev.braid.bench.faults.Scenarios.percentile;
import static dev.braid.bench.faults.Scenarios.servesOn;
import static dev.braid.bench.faults.Scenarios.standard;

import dev.braid.bench.faults.LocalCluster.Node;
import dev.braid.bench.faults.LocalCluster.Role;
import dev.braid.protocol.admin.DrainNodeResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The scenarios about the load itself rather than a node's fate: overload at 3x the sustainable
 * rate, clients cancelling and expiring calls, join/drain churn, and the soak with its deliberately
 * leaking control. Registered by name in {@link Scenarios}.
 */
// The load's clients are resources that run for a try block's length without being named in it.
@SuppressWarnings("try")
final class LoadScenarios {
  private LoadScenarios() {}

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
      double[] refusals = all.stream().filter(LoadScenarios::refused).mapToDouble(Ledger.Entry::latencyMs).sorted()
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

  /** The control node of the soak: a GPU node that leaks on purpose (see {@link LeakAgent}). */
  static final String LEAKING = "g3-leaking";

  /**
   * Steady load for the soak's duration, the heap after a full GC of every node sampled six times.
   * Beside the measured nodes runs a control in the same cluster, under the same load: a GPU node
   * leaking three times the bound over the soak. The one check must pass every other node and flag
   * the control; a check that flagged nothing, or the wrong node, would prove nothing. (Running the
   * control in its own soak would double a 30-minute bench for no extra evidence.)
   */
  static void soak(Scenario.Context ctx, ScenarioRun run) throws Exception {
    Duration duration = ctx.soak() != null ? ctx.soak() : ctx.phase(30, 1800);
    try (LocalCluster cluster = standard(ctx, false, List.of(), SOAK_HEAP_MIB, true)) {
      int perSecond = (int) Math.max(1024, 3 * SOAK_BOUND_BYTES / Math.max(1, duration.toSeconds()));
      run.figure("leak_bytes_per_s", perSecond);
      Node leak = cluster.launch(LEAKING, EnumSet.of(Role.GPU), LeakAgent.jvmArgs(ctx.dir(), perSecond));
      leak.awaitServing(cluster.settings().startTimeout());
      try (LoadClients clients = load(ctx, cluster, run)) {
        run.ledger().phase("soak starts");
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
        List<String> grown = new ArrayList<>();
        long worst = Long.MIN_VALUE;
        String worstNode = "";
        long leaked = Long.MIN_VALUE;
        for (Map.Entry<String, long[]> h : heaps.entrySet()) {
          long[] v = h.getValue();
          long growth = v[samples - 1] - v[1]; // the first sample still holds start-up garbage of classes and caches
          run.figure("heap_growth_" + h.getKey() + "_bytes", growth);
          run.figure("heap_last_" + h.getKey() + "_bytes", v[samples - 1]);
          if (h.getKey().equals(LEAKING)) {
            leaked = growth;
          } else {
            if (growth > SOAK_BOUND_BYTES) {
              grown.add(h.getKey() + " +" + (growth >> 10) + " KiB");
            }
            if (growth > worst) {
              worst = growth;
              worstNode = h.getKey();
            }
          }
        }
        run.figure("soak_s", duration.toSeconds());
        run.check("heap after GC flat within " + (SOAK_BOUND_BYTES >> 20) + " MiB on every node but the control",
            grown.isEmpty(), grown.isEmpty() ? "largest growth " + (worst >> 10) + " KiB on " + worstNode
                : "grown: " + String.join(", ", grown));
        run.check("the same check flags the leaking control " + LEAKING, leaked > SOAK_BOUND_BYTES,
            leaked == Long.MIN_VALUE ? LEAKING + " was not sampled (not alive)"
                : "growth " + (leaked >> 10) + " KiB, bound " + (SOAK_BOUND_BYTES >> 10) + " KiB");
      }
    }
  }
}
