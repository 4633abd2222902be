package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.cluster.ClusterView.Gpu;
import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.cluster.ClusterView.ReportEffect;
import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.device.plan.FusionKey;
import dev.braid.device.plan.KernelFamily;
import dev.braid.model.DType;
import dev.braid.protocol.cluster.GpuWire;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** The coordinator's bookkeeping, event by event, without an actor system. */
class ClusterViewTest {
  static ActorRef<GpuWire.Command> ref() {
    return TestInbox.<GpuWire.Command>create().getRef();
  }

  static GpuWire.ModelInfo info(String model, long requests) {
    return new GpuWire.ModelInfo(model, 1, 100, 2_000_000, 8, requests);
  }

  static GpuWire.Report report(String node, boolean draining, boolean healthy, GpuWire.ModelInfo... models) {
    Map<String, GpuWire.ModelInfo> held = new java.util.TreeMap<>();
    for (GpuWire.ModelInfo i : models) {
      held.put(i.name(), i);
    }
    return new GpuWire.Report(GpuWire.gpuId(node, 0), node, 0, "fake", 1 << 30, 0, held, "time-only", 0, 0, 0.1,
        1.0, 0, 0, 0, draining, healthy, healthy ? "" : "device lost");
  }

  static ClusterView viewWith(ActorRef<GpuWire.Command> ref) {
    ClusterView view = new ClusterView();
    view.listed(Set.of(ref), r -> false);
    return view;
  }

  @Test
  void aFirstReportAdoptsWhatTheGpuHoldsAndLaterOnesRefreshItsFiguresAndWhatItHolds() {
    ActorRef<GpuWire.Command> ref = ref();
    ClusterView view = viewWith(ref);
    assertEquals(ReportEffect.JOINED, view.report(ref, report("n1", false, true, info("a", 5))));
    assertEquals(Set.of("a"), view.gpus.get(ref).loaded.keySet());
    assertEquals(ReportEffect.REFRESHED, view.report(ref, report("n1", false, true, info("a", 9))));
    assertEquals(9, view.gpus.get(ref).loaded.get("a").requests(), "figures refresh");
    assertEquals(ReportEffect.CHANGED, view.report(ref, report("n1", false, true, info("a", 9), info("b", 1))));
    assertEquals(Set.of("a", "b"), view.gpus.get(ref).loaded.keySet(), "what it reports it holds, it holds");
    assertEquals(ReportEffect.CHANGED, view.report(ref, report("n1", false, false)), "it became unusable");
    assertEquals(ReportEffect.IGNORED, view.report(ref(), report("n2", false, true)), "a GPU not listed");
  }

  @Test
  void aGpuThatDrainsByItselfCallsForAReconcileUntilItsDrainIsSent() {
    ActorRef<GpuWire.Command> ref = ref();
    ClusterView view = viewWith(ref);
    view.report(ref, report("n1", false, true));
    assertEquals(ReportEffect.CHANGED, view.report(ref, report("n1", true, true)));
    assertTrue(view.gpus.get(ref).draining);
    view.gpus.get(ref).drainSent = true;
    assertEquals(ReportEffect.REFRESHED, view.report(ref, report("n1", true, true)));
  }

  @Test
  void requestsCountedBetweenReportsBecomeAnArrivalRateThatHalvesEachHalfLife() {
    ActorRef<GpuWire.Command> ref = ref();
    ClusterView view = viewWith(ref);
    view.models.put("a", new Model("a", 100, FusionProfile.NONE));
    view.report(ref, report("n1", false, true, info("a", 100))); // the baseline, not counted
    view.report(ref, report("n1", false, true, info("a", 110)));
    assertEquals(10, view.models.get("a").requestsSinceTick);
    // One interval of one half-life: the rate moves half way from 0 to 10 per second.
    view.tick(Duration.ofSeconds(1), Duration.ofSeconds(1));
    assertEquals(5.0, view.models.get("a").requestsPerSecond, 1e-9);
    assertEquals(0, view.models.get("a").requestsSinceTick);
    view.tick(Duration.ofSeconds(1), Duration.ofSeconds(1));
    assertEquals(2.5, view.models.get("a").requestsPerSecond, 1e-9);
  }

  @Test
  void aLoadThatServesClearsTheModelsFailureAndOneThatFailsBacksOffOnThatGpu() {
    ActorRef<GpuWire.Command> r1 = ref();
    ActorRef<GpuWire.Command> r2 = ref();
    ClusterView view = new ClusterView();
    view.listed(Set.of(r1, r2), r -> false);
    view.report(r1, report("n1", false, true));
    view.report(r2, report("n2", false, true));
    Gpu g1 = view.gpus.get(r1);
    Gpu g2 = view.gpus.get(r2);
    view.models.put("a", new Model("a", 100, FusionProfile.NONE));
    g1.loading.add("a");
    view.loadFailed(g1, "a", "out of memory", 1_000);
    assertEquals("out of memory", view.models.get("a").failure, "it serves nowhere: its waiters are told");
    assertTrue(g1.failedRecently("a", 1_500, 1_000));
    assertFalse(g1.failedRecently("a", 2_000, 1_000), "the back-off is over");
    assertFalse(g1.loading.contains("a"));
    assertFalse(view.loaded(g2, "a", info("a", 0)), "wanted: kept");
    assertEquals("", view.models.get("a").failure);
    assertEquals(List.of(g2), view.replicas("a", true));
    assertTrue(view.loaded(g1, "b", info("b", 0)), "not wanted (unloaded while it loaded): to unload");
  }

  @Test
  void aLoadThatCompletedAfterItsAskTimedOutIsTakenFromTheGpusReport() {
    ActorRef<GpuWire.Command> ref = ref();
    ClusterView view = viewWith(ref);
    view.models.put("a", new Model("a", 100, FusionProfile.NONE));
    view.report(ref, report("n1", false, true));
    Gpu g = view.gpus.get(ref);
    g.loading.add("a");
    view.loadUnanswered(g, "a");
    assertFalse(g.loading.contains("a"));
    view.report(ref, report("n1", false, true, info("a", 0))); // the load finished after all
    assertEquals(Set.of("a"), g.loaded.keySet(), "what the GPU reports it holds, it holds");
    assertEquals(List.of(g), view.replicas("a", true));
  }

  @Test
  void aReportAskedBeforeALoadOrUnloadWasAnsweredDoesNotOverruleTheAnswer() {
    ActorRef<GpuWire.Command> ref = ref();
    ClusterView view = viewWith(ref);
    view.report(ref, report("n1", false, true, info("b", 0)));
    Gpu g = view.gpus.get(ref);
    long asked = view.reportAsked(ref);
    view.loaded(g, "a", info("a", 0));
    g.unloading.add("b");
    view.unloaded(ref, "b", true);
    // The report taken before the load finished and before the unload: it lists b, not a.
    view.report(ref, report("n1", false, true, info("b", 0)), asked);
    assertEquals(Set.of("a"), g.loaded.keySet(), "the answers came after that report was asked");
    view.report(ref, report("n1", false, true), view.reportAsked(ref)); // a later report: a is gone
    assertEquals(Set.of(), g.loaded.keySet());
  }

  @Test
  void reachabilityChangesOnlyTheGpusOfThatNodeAndOnlyOnce() {
    ActorRef<GpuWire.Command> ref = ref();
    ClusterView view = viewWith(ref);
    view.report(ref, report("n1", false, true));
    assertEquals(List.of(), view.reachability("n2", false));
    assertEquals(1, view.reachability("n1", false).size());
    assertEquals(List.of(), view.reachability("n1", false), "already unreachable");
    assertEquals(List.of(), view.usable());
    assertEquals(1, view.reachability("n1", true).size());
  }

  @Test
  void aListingAddsTheNewGpusAndForgetsThoseThatLeft() {
    ActorRef<GpuWire.Command> r1 = ref();
    ActorRef<GpuWire.Command> r2 = ref();
    ClusterView view = viewWith(r1);
    ClusterView.Listed listed = view.listed(Set.of(r2), r -> true);
    assertEquals(1, listed.added().size());
    assertTrue(listed.added().get(0).unreachable, "its node is unreachable now");
    assertEquals(1, listed.left().size());
    assertEquals(Set.of(r2), view.gpus.keySet());
  }

  static FusionProfile gemmProfile() {
    return new FusionProfile(Map.of(new FusionKey(KernelFamily.GEMM, DType.FLOAT32, "tile64"), 0.75));
  }

  @Test
  void theDemandCarriesEachModelsFusionProfile() {
    FusionProfile gemm = gemmProfile();
    ClusterView view = new ClusterView();
    view.models.put("a", new Model("a", 100, gemm));
    assertEquals(gemm, ReconcilePlanner.demand(view, 1_000_000).get(0).fusion());
  }
}
