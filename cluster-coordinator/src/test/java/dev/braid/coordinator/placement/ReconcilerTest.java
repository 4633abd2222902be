package dev.braid.coordinator.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.braid.coordinator.placement.Reconciler.GpuView;
import dev.braid.coordinator.placement.Reconciler.ModelView;
import dev.braid.coordinator.placement.Reconciler.Step;
import dev.braid.coordinator.placement.Reconciler.Step.Drain;
import dev.braid.coordinator.placement.Reconciler.Step.Load;
import dev.braid.coordinator.placement.Reconciler.Step.Unload;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The coordinator's reconciling rules, case by case, without an actor system. */
class ReconcilerTest {
  static GpuId gpu(int n) {
    return new GpuId("node" + n, 0);
  }

  /** A GPU's view; {@code spec} lists "L:m" (loaded), "l:m" (loading), "u:m" (unloading), "f:m" (failed lately). */
  static GpuView view(int n, boolean draining, boolean drainSent, String... spec) {
    return new GpuView(gpu(n), draining, drainSent, pick(spec, "L:"), pick(spec, "l:"), pick(spec, "u:"),
        pick(spec, "f:"));
  }

  static GpuView up(int n, String... spec) {
    return view(n, false, false, spec);
  }

  static GpuView draining(int n, String... spec) {
    return view(n, true, false, spec);
  }

  static Set<String> pick(String[] spec, String prefix) {
    return Arrays.stream(spec).filter(s -> s.startsWith(prefix)).map(s -> s.substring(2))
        .collect(java.util.stream.Collectors.toSet());
  }

  /** A plan from "model=gpu,gpu" entries. */
  static PlacementPlan plan(String... entries) {
    TreeMap<String, List<GpuId>> replicas = new TreeMap<>();
    for (String e : entries) {
      String[] kv = e.split("=");
      replicas.put(kv[0], Arrays.stream(kv[1].split(",")).map(n -> gpu(Integer.parseInt(n))).toList());
    }
    return new PlacementPlan(1, replicas);
  }

  static Arguments when(String what, List<GpuView> gpus, Set<String> wanted, PlacementPlan plan, Step... expected) {
    return Arguments.of(what, gpus, wanted, plan, List.of(expected));
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        when("a replica the plan wants is loaded", List.of(up(1)), Set.of("m"), plan("m=1"), new Load(gpu(1), "m")),
        when("nothing to do when the plan holds", List.of(up(1, "L:m")), Set.of("m"), plan("m=1")),
        when("a load in progress is not sent again", List.of(up(1, "l:m")), Set.of("m"), plan("m=1")),
        when("a GPU where the load failed lately is not asked again", List.of(up(1, "f:m")), Set.of("m"),
            plan("m=1")),
        when("a draining GPU takes no new replica, and holding nothing it drains at once", List.of(draining(1)),
            Set.of("m"), plan("m=1"), new Drain(gpu(1))),
        when("loads come in model order, then GPU order", List.of(up(1), up(2)), Set.of("a", "b"),
            plan("b=1,2", "a=2"), new Load(gpu(2), "a"), new Load(gpu(1), "b"), new Load(gpu(2), "b")),
        when("an unwanted model is unloaded everywhere", List.of(up(1, "L:m"), up(2, "L:m")), Set.of(),
            PlacementPlan.EMPTY, new Unload(gpu(1), "m"), new Unload(gpu(2), "m")),
        when("an unload in progress is not sent again", List.of(up(1, "L:m", "u:m")), Set.of(), PlacementPlan.EMPTY),
        when("a moved replica stays until its new home serves", List.of(up(1, "L:m"), up(2, "l:m")), Set.of("m"),
            plan("m=2")),
        when("a moved replica is unloaded once its new home serves", List.of(up(1, "L:m"), up(2, "L:m")),
            Set.of("m"), plan("m=2"), new Unload(gpu(1), "m")),
        when("a load for the new home, the old one kept meanwhile", List.of(up(1, "L:m"), up(2)), Set.of("m"),
            plan("m=2"), new Load(gpu(2), "m")),
        when("a draining GPU is drained once its model serves on a GPU that is not draining",
            List.of(draining(1, "L:m"), up(2, "L:m")), Set.of("m"), plan("m=2"), new Drain(gpu(1))),
        when("a draining GPU waits while the new replica loads", List.of(draining(1, "L:m"), up(2)), Set.of("m"),
            plan("m=2"), new Load(gpu(2), "m")),
        when("a draining GPU whose model can go nowhere else is drained", List.of(draining(1, "L:m")), Set.of("m"),
            PlacementPlan.EMPTY, new Drain(gpu(1))),
        when("a draining GPU is drained when the only other home failed to load the model lately",
            List.of(draining(1, "L:m"), up(2, "f:m")), Set.of("m"), plan("m=2"), new Drain(gpu(1))),
        when("a drain already sent is not sent again", List.of(view(1, true, true, "L:m")), Set.of("m"),
            PlacementPlan.EMPTY),
        when("a draining GPU unloads a model nobody wants, then drains",
            List.of(draining(1, "L:gone", "L:m"), up(2, "L:m")), Set.of("m"), plan("m=2"),
            new Unload(gpu(1), "gone"), new Drain(gpu(1))),
        when("two draining GPUs holding the same model: neither covers the other",
            List.of(draining(1, "L:m"), draining(2, "L:m"), up(3)), Set.of("m"), plan("m=3"),
            new Load(gpu(3), "m")),
        when("a replica being unloaded does not count as serving elsewhere",
            List.of(up(1, "L:m"), up(2, "L:m", "u:m")), Set.of("m"), plan("m=2")),
        when("the first unload of two holders the plan dropped leaves the other serving",
            List.of(up(1, "L:m"), up(2, "L:m"), up(3, "L:m")), Set.of("m"), plan("m=3"),
            new Unload(gpu(1), "m"), new Unload(gpu(2), "m")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void stepsFollowTheRules(String what, List<GpuView> gpus, Set<String> wanted, PlacementPlan plan,
      List<Step> expected) {
    assertEquals(expected, Reconciler.steps(gpus, wanted, plan), what);
  }

  @Test
  void aModelThatFailedOnEveryGpuLatelyIsLeftOutOfTheDemandUntilTheBackOffEnds() {
    Duration slo = Duration.ofMillis(100);
    ModelView failed = new ModelView("m", true, 1000, 5, 2_000_000, FusionProfile.NONE);
    assertEquals(List.of(), Reconciler.demands(List.of(failed), List.of(up(1, "f:m"), draining(2)), slo),
        "failed on the only GPU that could take it");
    assertEquals(List.of(new ModelDemand("m", 1000, 5, 2_000_000, slo, FusionProfile.NONE)),
        Reconciler.demands(List.of(failed), List.of(up(1, "f:m"), up(2)), slo), "another GPU may take it");
    assertEquals(1, Reconciler.demands(List.of(failed), List.of(up(1, "f:m", "L:m")), slo).size(),
        "it serves somewhere, so it stays placed");
    assertEquals(1, Reconciler.demands(List.of(new ModelView("m", false, 1000, 5, 2_000_000, FusionProfile.NONE)),
        List.of(up(1, "f:m")), slo).size(), "asked for again: tried again");
    assertEquals(Map.of("a", 1.5, "b", 0.0), Map.of(
        "a", Reconciler.demands(List.of(new ModelView("a", false, 1, 1.5, 1, FusionProfile.NONE)), List.of(), slo)
            .get(0).requestsPerSecond(),
        "b", Reconciler.demands(List.of(new ModelView("b", false, 1, 0, 1, FusionProfile.NONE)), List.of(), slo)
            .get(0).requestsPerSecond()),
        "the figures pass through");
  }

  @Test
  void eachModelsFusionProfileReachesPlacement() {
    FusionProfile gemm = new FusionProfile(Map.of(FusionProfileTest.A, 0.5));
    assertEquals(gemm, Reconciler.demands(List.of(new ModelView("a", false, 1, 1, 1, gemm)), List.of(),
        Duration.ofMillis(100)).get(0).fusion());
  }
}
