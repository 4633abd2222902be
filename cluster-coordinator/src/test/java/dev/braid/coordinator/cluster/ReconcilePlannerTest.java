package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.cluster.ClusterView.Model;
import dev.braid.coordinator.placement.FusionProfile;
import dev.braid.coordinator.placement.GpuId;
import dev.braid.coordinator.placement.Reconciler.Step;
import dev.braid.protocol.cluster.GpuWire;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** One reconcile's decisions from the coordinator's view, without an actor system. */
class ReconcilePlannerTest {
  static final CoordinatorSettings SETTINGS = CoordinatorSettings.from(ConfigFactory.load());
  final ActorRef<GpuWire.Command> r1 = ClusterViewTest.ref();
  final ActorRef<GpuWire.Command> r2 = ClusterViewTest.ref();
  final ClusterView view = new ClusterView();
  final ReconcilePlanner planner = new ReconcilePlanner(SETTINGS);

  ReconcilePlannerTest() {
    view.listed(Set.of(r1, r2), r -> false);
    view.report(r1, ClusterViewTest.report("n1", false, true));
    view.report(r2, ClusterViewTest.report("n2", false, true));
  }

  @Test
  void aWantedModelIsLoadedOnceAndAModelThatFailedEverywhereLatelyWaits() {
    view.models.put("a", new Model("a", 100, FusionProfile.NONE));
    List<Step> steps = planner.next(view, 0);
    assertEquals(1, steps.size());
    Step.Load load = (Step.Load) steps.get(0);
    assertEquals("a", load.model());
    assertEquals(List.of(load.gpu()), planner.plan().replicasOf("a"));
    view.usableById().get(load.gpu()).loading.add("a");
    assertEquals(List.of(), planner.next(view, 1), "it loads already");

    view.models.get("a").failure = "corrupt";
    view.gpus.values().forEach(g -> view.loadFailed(g, "a", "corrupt", 10));
    assertEquals(List.of(), planner.next(view, 20), "failed on every GPU within the back-off: not placed");
    assertEquals(List.of(), planner.plan().replicasOf("a"));
    List<Step> later = planner.next(view, 10 + ReconcilePlanner.LOAD_RETRY_BACKOFF_NANOS);
    assertEquals(1, later.size(), "the back-off is over: tried again");
  }

  @Test
  void modelsWhoseKernelsFuseArePlacedTogether() {
    FusionProfile gemm = ClusterViewTest.gemmProfile();
    view.models.put("a", new Model("a", 100, gemm));
    view.models.put("b", new Model("b", 100, gemm));
    List<GpuId> onA = planner.next(view, 0).stream().map(Step::gpu).distinct().toList();
    assertEquals(1, onA.size(), "both on one GPU: " + planner.plan());

    ReconcilePlanner blind = new ReconcilePlanner(SETTINGS);
    ClusterView v2 = new ClusterView();
    v2.listed(Set.of(r1, r2), r -> false);
    v2.report(r1, ClusterViewTest.report("n1", false, true));
    v2.report(r2, ClusterViewTest.report("n2", false, true));
    v2.models.put("a", new Model("a", 100, FusionProfile.NONE));
    v2.models.put("b", new Model("b", 100, FusionProfile.NONE));
    assertEquals(2, blind.next(v2, 0).stream().map(Step::gpu).distinct().count(),
        "without profiles, balance spreads them: " + blind.plan());
  }
}
